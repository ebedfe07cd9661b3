// The Parquet layer; see ../shared/design/SYSTEM.md.
