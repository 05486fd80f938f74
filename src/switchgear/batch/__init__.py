"""OpenAI's Files and Batch APIs: JSONL files of requests, run line by line through the
pipeline (each line one trip, charged to the key that created the batch), durable in the store."""
