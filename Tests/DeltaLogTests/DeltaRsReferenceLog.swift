/// The log `deltalake.write_deltalake` wrote (delta-parquet.md §2.7, verbatim): 3 appends and a delete.
enum DeltaRsReferenceLog {
  static let commits: [String] = [
    #"""
    {"commitInfo":{"timestamp":1795547113583,"operation":"WRITE","operationParameters":{"mode":"ErrorIfExists"},"engineInfo":"delta-rs:py-1.6.6","operationMetrics":{"num_added_files":1,"num_removed_files":0,"num_partitions":0,"num_added_rows":3,"execution_time_ms":5,"num_retries":0},"clientVersion":"delta-rs.py-1.6.6"}}
    {"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
    {"metaData":{"id":"226f01ee-557f-43b3-b603-7bf612ac8626","name":null,"description":null,"format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"name\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},{\"name\":\"n\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},{\"name\":\"ok\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},{\"name\":\"blob\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"createdTime":1795547113577,"configuration":{}}}
    {"add":{"path":"part-00000-b42b6589-6f66-4ce3-ad7e-1e3269016a29-c000.snappy.parquet","partitionValues":{},"size":1796,"modificationTime":1795547113582,"dataChange":true,"stats":"{\"numRecords\":3,\"minValues\":{\"name\":\"row0a\",\"id\":1,\"ok\":false,\"n\":0,\"ts\":\"2024-01-01T00:00:00Z\"},\"maxValues\":{\"n\":0,\"ts\":\"2024-06-01T12:00:00.123Z\",\"ok\":true,\"name\":\"row0c\",\"id\":3},\"nullCount\":{\"name\":1,\"id\":0,\"ok\":1,\"ts\":1,\"n\":1}}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}
    """#,
    #"""
    {"commitInfo":{"timestamp":1795547113592,"operation":"WRITE","operationParameters":{"mode":"Append"},"engineInfo":"delta-rs:py-1.6.6","clientVersion":"delta-rs.py-1.6.6","operationMetrics":{"num_added_files":1,"num_removed_files":0,"num_partitions":0,"num_added_rows":3,"execution_time_ms":2,"num_retries":0}}}
    {"add":{"path":"part-00000-bdd60c11-e7ca-42d5-b6de-be89448c27f2-c000.snappy.parquet","partitionValues":{},"size":1801,"modificationTime":1795547113592,"dataChange":true,"stats":"{\"numRecords\":3,\"minValues\":{\"ts\":\"2024-01-01T00:00:01Z\",\"id\":11,\"n\":-1,\"name\":\"row1a\",\"ok\":false},\"maxValues\":{\"ok\":true,\"ts\":\"2024-06-01T12:00:00.123Z\",\"name\":\"row1c\",\"n\":1,\"id\":13},\"nullCount\":{\"n\":1,\"ok\":1,\"name\":1,\"ts\":1,\"id\":0}}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}
    """#,
    #"""
    {"commitInfo":{"timestamp":1795547113614,"operation":"WRITE","operationParameters":{"mode":"Append"},"engineInfo":"delta-rs:py-1.6.6","clientVersion":"delta-rs.py-1.6.6","operationMetrics":{"num_added_files":1,"num_removed_files":0,"num_partitions":0,"num_added_rows":3,"execution_time_ms":2,"num_retries":0}}}
    {"add":{"path":"part-00000-448f26e2-08ab-4806-9ada-cee249f766ba-c000.snappy.parquet","partitionValues":{},"size":1801,"modificationTime":1795547113614,"dataChange":true,"stats":"{\"numRecords\":3,\"minValues\":{\"ts\":\"2024-01-01T00:00:02Z\",\"id\":21,\"n\":-2,\"name\":\"row2a\",\"ok\":false},\"maxValues\":{\"id\":23,\"ok\":true,\"n\":2,\"ts\":\"2024-06-01T12:00:00.123Z\",\"name\":\"row2c\"},\"nullCount\":{\"id\":0,\"name\":1,\"n\":1,\"ok\":1,\"ts\":1}}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}
    """#,
    #"""
    {"commitInfo":{"timestamp":1795547113639,"operation":"DELETE","operationParameters":{"predicate":"id = 22"},"readVersion":2,"engineInfo":"delta-rs:py-1.6.6","clientVersion":"delta-rs.py-1.6.6","operationMetrics":{"num_added_files":1,"num_removed_files":1,"num_deleted_rows":1,"num_copied_rows":2,"execution_time_ms":14,"scan_time_ms":6,"rewrite_time_ms":0}}}
    {"add":{"path":"part-00000-ee0fb7c2-8b06-4c75-9aa8-2963956f6974-c000.zstd.parquet","partitionValues":{},"size":1877,"modificationTime":1795547113639,"dataChange":true,"stats":"{\"numRecords\":2,\"minValues\":{\"ok\":true,\"ts\":\"2024-01-01T00:00:02Z\",\"id\":21,\"n\":-2,\"name\":\"row2a\"},\"maxValues\":{\"name\":\"row2c\",\"id\":23,\"n\":2,\"ok\":true,\"ts\":\"2024-06-01T12:00:00.123Z\"},\"nullCount\":{\"id\":0,\"ok\":1,\"name\":0,\"n\":0,\"ts\":0}}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}
    {"remove":{"path":"part-00000-448f26e2-08ab-4806-9ada-cee249f766ba-c000.snappy.parquet","dataChange":true,"deletionTimestamp":1795547113632,"extendedFileMetadata":true,"partitionValues":{},"size":1801}}
    """#,
  ]
}
