print("ObjectStoreBench: not written yet")
