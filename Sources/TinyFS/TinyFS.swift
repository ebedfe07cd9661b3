// The TinyFS layer; see ../shared/design/SYSTEM.md.
