"""TriggerInvoker: each target kind against a real server (or in-process), and every failure mapped as
Cognito maps it. Nothing waits for real time except the one callable-timeout test (3 × 20 ms)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
import test_triggers_functions as functions
from lambda_api import CREDENTIALS, LambdaApiServer, Reply

from userpools.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from userpools.triggers import events
from userpools.triggers.config import (
    CallableTarget,
    LambdaApi,
    LambdaTarget,
    TriggerConfigError,
    TriggersConfig,
    WebhookTarget,
)
from userpools.triggers.invoker import LambdaContext, TriggerInvoker

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]

ARN = "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"
QUOTED_ARN = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Apre-sign-up"
CALLER = events.Caller("us-east-1_TEST", "us-east-1", "alice", "client123")


def sign_up_event() -> dict[str, Any]:
    return events.pre_sign_up(CALLER, "PreSignUp_SignUp", user_attributes={"email": "alice@example.com"})


def confirmed(event: dict[str, Any]) -> dict[str, Any]:
    event["response"]["autoConfirmUser"] = True
    return event


class Sleeps:
    """Records the waits between tries instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def run() -> Iterator[Run[Any]]:
    with asyncio.Runner() as runner:
        yield runner.run


@pytest.fixture(scope="module")
def started_server() -> Iterator[LambdaApiServer]:
    with LambdaApiServer() as started:
        yield started


@pytest.fixture
def server(started_server: LambdaApiServer) -> LambdaApiServer:
    started_server.reset()
    return started_server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def lambda_api(server: LambdaApiServer, **options: Any) -> LambdaApi:
    options.setdefault("access_key_id", CREDENTIALS.access_key_id)
    options.setdefault("secret_access_key", CREDENTIALS.secret_access_key)
    return LambdaApi(server.url, **options)


def invoke(
    run: Run[Any],
    config: TriggersConfig,
    event: dict[str, Any] | None = None,
    *,
    arn: str = ARN,
    trigger: str = "PreSignUp",
    **options: Any,
) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with TriggerInvoker(config, **options) as invoker:
            return await invoker.invoke(arn, event if event is not None else sign_up_event(), trigger=trigger)

    return run(go())  # type: ignore[no-any-return]


# --- the Lambda Invoke API ---------------------------------------------------------------------------


def test_lambda_api_returns_the_answer_of_a_signed_request_response_call(run, server):
    server.register(ARN, confirmed)
    event = sign_up_event()

    answer = invoke(run, TriggersConfig(lambda_api=lambda_api(server)), event)

    assert answer["response"] == {"autoConfirmUser": True, "autoVerifyEmail": False, "autoVerifyPhone": False}
    [received] = server.received
    assert received.path == f"/2015-03-31/functions/{QUOTED_ARN}/invocations"
    assert received.event == event
    assert received.headers["X-Amz-Invocation-Type"] == "RequestResponse"
    assert received.headers["Content-Type"] == "application/json"
    authorization = received.headers["Authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={CREDENTIALS.access_key_id}/")
    assert "/us-east-1/lambda/aws4_request" in authorization


def test_lambda_api_signs_for_the_region_of_the_arn_unless_the_endpoint_names_one(run, server):
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up"
    server.register(arn, confirmed)

    invoke(run, TriggersConfig(lambda_api=lambda_api(server)), arn=arn)
    invoke(run, TriggersConfig(lambda_api=lambda_api(server, region="ap-south-1")), arn=arn)

    assert "/eu-west-1/lambda/aws4_request" in server.received[0].headers["Authorization"]
    assert "/ap-south-1/lambda/aws4_request" in server.received[1].headers["Authorization"]


def test_lambda_api_sends_the_session_token_when_configured(run, server):
    server.register(ARN, confirmed)

    invoke(run, TriggersConfig(lambda_api=lambda_api(server, session_token="token-1")))

    assert server.received[0].headers["X-Amz-Security-Token"] == "token-1"
    assert "x-amz-security-token" in server.received[0].headers["Authorization"]


def test_lambda_api_can_name_the_function_instead_of_the_arn_with_its_qualifier(run, server):
    server.register("pre-sign-up", confirmed)

    invoke(run, TriggersConfig(lambda_api=lambda_api(server, invoke_by="name")), arn=f"{ARN}:live")

    assert server.received[0].path == "/2015-03-31/functions/pre-sign-up/invocations"
    assert server.received[0].query == "Qualifier=live"


def test_lambda_api_function_name_of_an_entry_reaches_the_runtime_interface_emulator(run, server):
    server.register("function", confirmed)
    config = TriggersConfig(functions={ARN: LambdaTarget(lambda_api(server), function_name="function")})

    answer = invoke(run, config)

    assert answer["response"]["autoConfirmUser"] is True
    assert server.received[0].path == "/2015-03-31/functions/function/invocations"


def test_lambda_function_error_raises_user_lambda_validation_without_retrying(run, server, sleeps):
    server.register(ARN, functions.reject)

    with pytest.raises(UserLambdaValidationException) as raised:
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)), sleep=sleeps)

    assert raised.value.message == "PreSignUp failed with error Email domain not allowed."
    assert len(server.received) == 1 and sleeps.delays == []


def test_lambda_error_body_without_the_header_counts_as_raised_as_the_emulator_sends_it(run, server):
    server.register(ARN, lambda event: {"errorMessage": "boom", "errorType": "Error", "stackTrace": []})

    with pytest.raises(UserLambdaValidationException, match=r"^PreSignUp failed with error boom\.$"):
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)))


def test_lambda_answer_that_is_not_json_raises_invalid_lambda_response(run, server):
    server.register(ARN, lambda event: Reply(200, "Task timed out after 300.00 seconds"))

    with pytest.raises(InvalidLambdaResponseException) as raised:
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)))

    assert raised.value.message == "Invalid lambda function output : Invalid JSON"


def test_lambda_answer_null_raises_invalid_json(run, server):
    server.register(ARN, lambda event: None)

    with pytest.raises(InvalidLambdaResponseException, match="Invalid JSON"):
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)))


def test_lambda_answer_without_a_response_raises_unrecognizable_lambda_output(run, server):
    server.register(ARN, lambda event: {"ok": True})

    with pytest.raises(InvalidLambdaResponseException) as raised:
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)))

    assert raised.value.message == "Unrecognizable lambda output"


def test_lambda_answer_with_a_mistyped_field_raises_unrecognizable_lambda_output(run, server):
    def stringly(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["autoConfirmUser"] = "true"
        return event

    server.register(ARN, stringly)

    with pytest.raises(InvalidLambdaResponseException, match="^Unrecognizable lambda output$"):
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)))


def test_lambda_unknown_function_raises_unexpected_lambda_at_once(run, server, sleeps):
    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)), sleep=sleeps)

    assert raised.value.message == "PreSignUp invocation failed due to error ResourceNotFoundException."
    assert len(server.received) == 1 and sleeps.delays == []


def test_lambda_refused_signature_raises_unexpected_lambda_with_the_error_type(run, server):
    server.register(ARN, confirmed)
    config = TriggersConfig(lambda_api=lambda_api(server, secret_access_key="not-the-secret"))

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, config)

    assert raised.value.message == "PreSignUp invocation failed due to error InvalidSignatureException."
    assert server.received == []


def test_lambda_service_failure_is_tried_three_times_then_raises_unexpected_lambda(run, server, sleeps):
    server.register(
        ARN, lambda event: Reply(500, {"message": "oops"}, {"x-amzn-ErrorType": "ServiceException"})
    )

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, TriggersConfig(lambda_api=lambda_api(server)), sleep=sleeps)

    assert raised.value.message == "PreSignUp invocation failed due to error ServiceException."
    assert len(server.received) == 3
    assert sleeps.delays == [0.1, 0.2]


def test_lambda_throttling_is_retried_and_a_later_answer_wins(run, server, sleeps):
    replies = iter(
        [Reply(429, {"message": "Rate exceeded"}, {"x-amzn-ErrorType": "TooManyRequestsException"})]
    )
    server.register(ARN, lambda event: next(replies, None) or confirmed(event))

    answer = invoke(run, TriggersConfig(lambda_api=lambda_api(server)), sleep=sleeps)

    assert answer["response"]["autoConfirmUser"] is True
    assert len(server.received) == 2 and sleeps.delays == [0.1]


# --- timeouts and unreachable targets, through an injected transport ---------------------------------


def failing_transport(
    error: Callable[[httpx.Request], Exception],
    calls: list[httpx.Request],
    then: Callable[[httpx.Request], httpx.Response] | None = None,
    failures: int = 99,
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) <= failures or then is None:
            raise error(request)
        return then(request)

    return httpx.MockTransport(handle)


def test_timeouts_are_tried_three_times_then_raise_unexpected_lambda(run, sleeps):
    calls: list[httpx.Request] = []
    transport = failing_transport(lambda r: httpx.ReadTimeout("timed out", request=r), calls)

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(
            run, TriggersConfig(lambda_api=LambdaApi("http://lambda.test")), transport=transport, sleep=sleeps
        )

    assert raised.value.message == (
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )
    assert len(calls) == 3 and sleeps.delays == [0.1, 0.2]


def test_connection_errors_are_tried_three_times_then_raise_unexpected_lambda(run, sleeps):
    calls: list[httpx.Request] = []
    transport = failing_transport(lambda r: httpx.ConnectError("refused", request=r), calls)
    config = TriggersConfig(functions={ARN: WebhookTarget("http://hooks.test/pre-sign-up")})

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, config, transport=transport, sleep=sleeps)

    assert raised.value.message == (
        "PreSignUp invocation failed due to error Connection error while invoking Lambda function."
    )
    assert len(calls) == 3


def test_a_timeout_then_an_answer_returns_the_answer(run, sleeps):
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=request.content)  # the function answers the event unchanged

    transport = failing_transport(
        lambda r: httpx.ConnectTimeout("slow", request=r), calls, answer, failures=1
    )

    answered = invoke(
        run, TriggersConfig(lambda_api=LambdaApi("http://lambda.test")), transport=transport, sleep=sleeps
    )

    assert answered == sign_up_event()
    assert len(calls) == 2 and sleeps.delays == [0.1]


def test_the_number_of_tries_and_the_delay_can_be_set(run, sleeps):
    calls: list[httpx.Request] = []
    transport = failing_transport(lambda r: httpx.ReadTimeout("timed out", request=r), calls)

    with pytest.raises(UnexpectedLambdaException):
        invoke(
            run,
            TriggersConfig(lambda_api=LambdaApi("http://lambda.test")),
            transport=transport,
            sleep=sleeps,
            tries=5,
            retry_delay=1.0,
        )

    assert len(calls) == 5 and sleeps.delays == [1.0, 2.0, 3.0, 4.0]


def test_a_port_nobody_listens_on_raises_unexpected_lambda_after_three_tries(run, sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = TriggersConfig(lambda_api=LambdaApi(f"http://127.0.0.1:{port}"))

    with pytest.raises(UnexpectedLambdaException, match="Connection error while invoking Lambda function"):
        invoke(run, config, sleep=sleeps)

    assert sleeps.delays == [0.1, 0.2]


def test_an_arn_nothing_is_configured_for_raises_unexpected_lambda(run):
    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, TriggersConfig())

    assert raised.value.message == (
        "PreSignUp invocation failed due to error No function is configured for this ARN."
    )


# --- webhooks ----------------------------------------------------------------------------------------


def hook(server: LambdaApiServer, name: str = "pre-sign-up", **headers: str) -> TriggersConfig:
    return TriggersConfig(functions={ARN: WebhookTarget(f"{server.url}/hooks/{name}", headers)})


def test_webhook_receives_the_event_and_its_answer_is_returned(run, server):
    server.register("pre-sign-up", confirmed)
    event = sign_up_event()

    answer = invoke(run, hook(server, Authorization="Bearer s3cret"), event)

    assert answer["response"]["autoConfirmUser"] is True
    [received] = server.received
    assert received.kind == "hook" and received.event == event
    assert received.headers["X-Userpools-Trigger"] == "PreSignUp"
    assert received.headers["X-Userpools-Function-Arn"] == ARN
    assert received.headers["Authorization"] == "Bearer s3cret"


def test_webhook_error_message_raises_user_lambda_validation_without_retrying(run, server, sleeps):
    server.register("pre-sign-up", functions.reject)  # the server answers 500 {"errorMessage": …}

    with pytest.raises(UserLambdaValidationException) as raised:
        invoke(run, hook(server), sleep=sleeps)

    assert raised.value.message == "PreSignUp failed with error Email domain not allowed."
    assert len(server.received) == 1 and sleeps.delays == []


def test_webhook_text_error_is_the_message_of_a_raised_function(run, server):
    server.register(
        "pre-sign-up", lambda event: Reply(403, "Sign-ups are closed\n", {"Content-Type": "text/plain"})
    )

    with pytest.raises(
        UserLambdaValidationException, match=r"^PreSignUp failed with error Sign-ups are closed\.$"
    ):
        invoke(run, hook(server))


def test_webhook_unavailable_is_tried_three_times_then_raises_unexpected_lambda(run, server, sleeps):
    server.register("pre-sign-up", lambda event: Reply(503, "<html>Service Unavailable</html>"))

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, hook(server), sleep=sleeps)

    assert raised.value.message == "PreSignUp invocation failed due to error HTTP 503 from the webhook."
    assert len(server.received) == 3


def test_webhook_answer_that_is_not_json_raises_invalid_json(run, server):
    server.register("pre-sign-up", lambda event: Reply(200, "OK", {"Content-Type": "text/plain"}))

    with pytest.raises(
        InvalidLambdaResponseException, match="^Invalid lambda function output : Invalid JSON$"
    ):
        invoke(run, hook(server))


# --- callables ---------------------------------------------------------------------------------------


def callable_config(name: str) -> TriggersConfig:
    return TriggersConfig(functions={ARN: CallableTarget(f"test_triggers_functions:{name}")})


def test_sync_callable_answers(run):
    answer = invoke(run, callable_config("auto_confirm"))

    assert answer["response"]["autoConfirmUser"] is True


def test_async_callable_answers(run):
    answer = invoke(run, callable_config("auto_verify_email"))

    assert answer["response"]["autoVerifyEmail"] is True


def test_dotted_callable_is_found(run):
    assert invoke(run, callable_config("Handlers.nested")) == sign_up_event()


def test_lambda_handler_callable_receives_a_context(run):
    functions.CALLS.clear()

    invoke(run, callable_config("lambda_handler"))

    [(_, context)] = functions.CALLS
    assert isinstance(context, LambdaContext)
    assert context.function_name == "pre-sign-up"
    assert context.invoked_function_arn == ARN
    assert 0 < context.get_remaining_time_in_millis() <= 5000


def test_callable_gets_a_copy_of_the_event(run):
    event = sign_up_event()

    answer = invoke(run, callable_config("mutate_and_answer"), event)

    assert event["request"]["userAttributes"]["email"] == "alice@example.com"
    assert answer["request"]["userAttributes"]["email"] == "changed@example.com"


def test_raising_callable_raises_user_lambda_validation(run, sleeps):
    with pytest.raises(UserLambdaValidationException) as raised:
        invoke(run, callable_config("reject"), sleep=sleeps)

    assert raised.value.message == "PreSignUp failed with error Email domain not allowed."
    assert sleeps.delays == []


def test_callable_returning_nothing_raises_invalid_json(run):
    with pytest.raises(InvalidLambdaResponseException, match="Invalid JSON"):
        invoke(run, callable_config("return_nothing"))


def test_callable_returning_what_json_cannot_hold_raises_invalid_json(run):
    with pytest.raises(InvalidLambdaResponseException, match="Invalid JSON"):
        invoke(run, callable_config("return_a_set"))


def test_callable_that_overruns_its_time_is_tried_three_times_then_raises_unexpected_lambda(run, sleeps):
    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, callable_config("never_answers"), sleep=sleeps, timeout=0.02)

    assert raised.value.message.endswith("due to error Socket timeout while invoking Lambda function.")
    assert sleeps.delays == [0.1, 0.2]


def test_callable_that_cannot_be_loaded_raises_unexpected_lambda(run):
    config = TriggersConfig(functions={ARN: CallableTarget("no_such_module_here:handler")})

    with pytest.raises(UnexpectedLambdaException) as raised:
        invoke(run, config)

    assert (
        raised.value.message == "PreSignUp invocation failed due to error The function could not be loaded."
    )


@pytest.mark.parametrize(
    "reference",
    [
        "no_such_module_here:handler",
        "test_triggers_functions:missing",
        "test_triggers_functions:NOT_CALLABLE",
    ],
)
def test_preload_names_the_entry_whose_callable_cannot_be_loaded(run, reference):
    invoker = TriggerInvoker(TriggersConfig(functions={ARN: CallableTarget(reference)}))

    with pytest.raises(TriggerConfigError, match=rf'^functions\."{ARN}"\.callable: cannot load {reference}'):
        invoker.preload()
    run(invoker.aclose())


def test_the_loader_can_be_injected(run):
    loaded: list[str] = []

    def load(reference: str) -> Callable[..., Any]:
        loaded.append(reference)
        return confirmed

    invoke(run, callable_config("anything"), load=load)

    assert loaded == ["test_triggers_functions:anything"]


# --- custom senders ----------------------------------------------------------------------------------


def test_custom_sender_answer_is_ignored(run):
    event = events.custom_email_sender(
        CALLER, "CustomEmailSender_SignUp", user_attributes={"sub": "s"}, encrypted_code="AQ=="
    )

    answer = invoke(run, callable_config("return_nothing"), event, trigger="CustomEmailSender")

    assert answer == {}
