"""Usage logs, `/v3/l`: the days an account has a log for, and one day's log as a zip."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from binstore import usage
from http_helpers import credentials, json_response, served, store

router = APIGatewayHttpRouter()


@router.get("/v3/l")
def list_days() -> Response:
    days = usage.log_days(store(router), credentials(router.current_event))
    served("UsageLogsListed")
    return json_response({"logs": days})


@router.get("/v3/l/<day>")
def download(day: str) -> Response:
    log = usage.day_log(store(router), credentials(router.current_event), day)
    served("UsageLogServed")
    return Response(
        200,
        content_type="application/zip",
        body=log.archive,  # bytes: Powertools sends them base64-encoded, as API Gateway expects
        headers={"Content-Disposition": f'attachment; filename="{log.file_name}"', "Cache-Control": "no-store"},
    )
