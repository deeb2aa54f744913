"""Lambda entry point, run daily: tag record bodies that belong to no record, for S3 to expire."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from binstore.storage import Store
from binstore.sweeping import sweep

logger = Logger()
metrics = Metrics()
# Off unless the stack's Tracing is Active (api_handler.py says more).
tracer = Tracer(patch_modules=["boto3"])
# What this function is given (template.yaml); a name missing fails here, at cold start.
store = Store.from_environment(needed=("BINS_TABLE", "BIN_VERSIONS_TABLE", "RECORDS_BUCKET"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    report = sweep(store, datetime.now(UTC))
    metrics.add_metric(name="OrphanBodiesMarked", unit=MetricUnit.Count, value=report.orphans_marked)
    logger.info("Swept record bodies", extra=vars(report))
    return vars(report)
