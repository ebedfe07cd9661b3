// The DeltaLog layer; see ../shared/design/SYSTEM.md.
