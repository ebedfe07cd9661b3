// The ObjectStore layer; see ../shared/design/SYSTEM.md.
