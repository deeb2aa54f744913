"""Lambda entry point for the bins table's stream: delete bodies that no record points at."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from binstore.storage import Store
from binstore.storage.changes import unreferenced_body

logger = Logger()
metrics = Metrics()
# Off unless the stack's Tracing is Active (api_handler.py says more).
tracer = Tracer(patch_modules=["boto3"])
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# The bucket is all this function is given (template.yaml); without it, it fails here, at cold start.
store = Store.from_environment(needed=("RECORDS_BUCKET",))


def delete_unreferenced_body(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return  # DynamoDB always sends one; without it there is nothing to compare
    object_key = unreferenced_body(change.old_image, change.new_image)
    if object_key is None:
        return
    # Raises on failure: the record is reported as failed and the stream retries it.
    store.bodies.delete(object_key)
    metrics.add_metric(name="BodyDeleted", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> PartialItemFailureResponse:
    metrics.add_metric(name="BinChangesSeen", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    return process_partial_response(
        event=event, record_handler=delete_unreferenced_body, processor=processor, context=context
    )
