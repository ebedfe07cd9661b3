print("ParquetBench: not written yet")
