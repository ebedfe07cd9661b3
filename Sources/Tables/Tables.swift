// Tables and series of tables in the pond (docs/tables.md).
