"""The run engine: a pipeline run executes its tasks in order with retries, failure policy and cancel."""
