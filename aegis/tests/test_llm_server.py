"""The loopback LLM server speaks well enough for the official SDKs: replies parse, errors map, retries and timeouts
behave as against the providers."""

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import jsonschema
import openai
import pytest

from aegis.testing.llm_server import (
    LlmServer,
    bench_responder,
    error_reply,
    hang_reply,
    json_reply,
    schema_filler,
    text_reply,
)

VERDICTS = {
    "type": "object",
    "properties": {
        "verdicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "verdict": {"type": "string", "enum": ["yes", "no", "idk"]},
                    "reason": {"type": "string"},
                },
                "required": ["verdict", "reason"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["verdicts"],
    "additionalProperties": False,
}
ANSWER = {"verdicts": [{"verdict": "yes", "reason": "stated"}]}
MESSAGES = [{"role": "system", "content": "You judge."}, {"role": "user", "content": "Is the sky blue?"}]
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "verdicts", "schema": VERDICTS, "strict": True}}
OPENAI_TOOL = {"type": "function", "function": {"name": "give_verdicts", "parameters": VERDICTS, "strict": True}}
OPENAI_TOOL_CHOICE = {"type": "function", "function": {"name": "give_verdicts"}}
ANTHROPIC_TOOL = {"name": "give_verdicts", "description": "Report the verdicts.", "input_schema": VERDICTS}


def openai_client(**kwargs):
    return openai.OpenAI(**{"max_retries": 0, **kwargs})  # base URL and key from the llm_server fixture's environment


def anthropic_client(**kwargs):
    return anthropic.Anthropic(**{"max_retries": 0, **kwargs})


def ask_anthropic(client, **kwargs):
    return client.messages.create(
        model="claude-test",
        max_tokens=200,
        system="You judge.",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Is the sky blue?"}]}],
        **kwargs,
    )


class TestOpenAI:
    def test_json_schema_reply_parses_and_the_request_is_recorded(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER, tokens_in=123, tokens_out=45))

        completion = openai_client().chat.completions.create(
            model="gpt-test", messages=MESSAGES, response_format=RESPONSE_FORMAT
        )

        choice = completion.choices[0]
        assert json.loads(choice.message.content) == ANSWER
        assert choice.finish_reason == "stop"
        assert choice.message.tool_calls is None
        assert completion.model == "gpt-test"
        assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (123, 45)
        assert completion.usage.total_tokens == 168
        (request,) = llm_server.requests
        assert (request.api, request.mode, request.schema_name, request.schema) == (
            "openai",
            "json_schema",
            "verdicts",
            VERDICTS,
        )
        assert (request.model, request.system, request.user) == ("gpt-test", "You judge.", "Is the sky blue?")
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-test-openai"
        assert request.api_key == "sk-test-openai"
        assert request.body["response_format"]["json_schema"]["strict"] is True

    def test_forced_tool_reply_is_a_tool_call(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER))

        completion = openai_client().chat.completions.create(
            model="gpt-test", messages=MESSAGES, tools=[OPENAI_TOOL], tool_choice=OPENAI_TOOL_CHOICE
        )

        choice = completion.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content is None
        (call,) = choice.message.tool_calls
        assert call.type == "function"
        assert call.function.name == "give_verdicts"
        assert json.loads(call.function.arguments) == ANSWER
        (request,) = llm_server.requests
        assert (request.mode, request.schema_name, request.schema) == ("tool", "give_verdicts", VERDICTS)

    def test_the_sdk_parse_helper_reads_the_reply(self, llm_server):
        pydantic = pytest.importorskip("pydantic")

        class Verdict(pydantic.BaseModel):
            verdict: str

        llm_server.enqueue(json_reply({"verdict": "no"}))
        completion = openai_client().chat.completions.parse(
            model="gpt-test", messages=MESSAGES, response_format=Verdict
        )

        assert completion.choices[0].message.parsed == Verdict(verdict="no")
        assert llm_server.requests[0].schema_name == "Verdict"

    def test_async_client(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER), json_reply({"verdicts": []}))

        async def both():
            client = openai.AsyncOpenAI(max_retries=0)
            structured = await client.chat.completions.create(
                model="gpt-test", messages=MESSAGES, response_format=RESPONSE_FORMAT
            )
            tool = await client.chat.completions.create(
                model="gpt-test", messages=MESSAGES, tools=[OPENAI_TOOL], tool_choice=OPENAI_TOOL_CHOICE
            )
            return structured, tool

        structured, tool = asyncio.run(both())

        assert json.loads(structured.choices[0].message.content) == ANSWER
        assert json.loads(tool.choices[0].message.tool_calls[0].function.arguments) == {"verdicts": []}
        assert [r.headers["x-stainless-async"] for r in llm_server.requests] == ["async:asyncio"] * 2

    def test_text_reply_is_sent_verbatim_even_as_tool_arguments(self, llm_server):
        llm_server.enqueue(text_reply("Sure! Here is"), text_reply('{"verdicts": ['))

        client = openai_client()
        plain = client.chat.completions.create(model="gpt-test", messages=MESSAGES, response_format=RESPONSE_FORMAT)
        tool = client.chat.completions.create(
            model="gpt-test", messages=MESSAGES, tools=[OPENAI_TOOL], tool_choice=OPENAI_TOOL_CHOICE
        )

        assert plain.choices[0].message.content == "Sure! Here is"
        assert tool.choices[0].message.tool_calls[0].function.arguments == '{"verdicts": ['

    def test_truncated_reply_reports_length(self, llm_server):
        llm_server.enqueue(text_reply('{"verdicts": [', truncated=True))

        completion = openai_client().chat.completions.create(model="gpt-test", messages=MESSAGES)

        assert completion.choices[0].finish_reason == "length"
        assert llm_server.requests[0].mode == "text"


class TestAnthropic:
    def test_forced_tool_reply_is_a_tool_use_block(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER, tokens_in=321, tokens_out=54))

        message = ask_anthropic(
            anthropic_client(), tools=[ANTHROPIC_TOOL], tool_choice={"type": "tool", "name": "give_verdicts"}
        )

        assert message.type == "message"
        assert message.role == "assistant"
        assert message.stop_reason == "tool_use"
        (block,) = message.content
        assert block.type == "tool_use"
        assert block.name == "give_verdicts"
        assert block.input == ANSWER
        assert (message.usage.input_tokens, message.usage.output_tokens) == (321, 54)
        (request,) = llm_server.requests
        assert (request.api, request.mode, request.schema_name, request.schema) == (
            "anthropic",
            "tool",
            "give_verdicts",
            VERDICTS,
        )
        assert (request.model, request.system, request.user) == ("claude-test", "You judge.", "Is the sky blue?")
        assert request.api_key == "sk-ant-test"
        assert "anthropic-version" in request.headers

    def test_structured_output_reply_is_json_text(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER))

        message = ask_anthropic(
            anthropic_client(), output_config={"format": {"type": "json_schema", "schema": VERDICTS}}
        )

        assert message.stop_reason == "end_turn"
        (block,) = message.content
        assert block.type == "text"
        assert json.loads(block.text) == ANSWER
        (request,) = llm_server.requests
        assert (request.mode, request.schema_name, request.schema) == ("json_schema", None, VERDICTS)

    def test_text_reply_in_tool_mode_is_a_text_block(self, llm_server):
        llm_server.enqueue(text_reply("I would rather not."))

        message = ask_anthropic(
            anthropic_client(), tools=[ANTHROPIC_TOOL], tool_choice={"type": "tool", "name": "give_verdicts"}
        )

        assert [block.type for block in message.content] == ["text"]
        assert message.content[0].text == "I would rather not."

    def test_async_client(self, llm_server):
        llm_server.enqueue(json_reply(ANSWER))

        async def ask():
            client = anthropic.AsyncAnthropic(max_retries=0)
            return await client.messages.create(
                model="claude-test",
                max_tokens=200,
                messages=[{"role": "user", "content": "Is the sky blue?"}],
                tools=[ANTHROPIC_TOOL],
                tool_choice={"type": "tool", "name": "give_verdicts"},
            )

        assert asyncio.run(ask()).content[0].input == ANSWER


class TestErrorsRetriesTimeouts:
    def test_openai_retries_a_429_after_retry_after(self, llm_server):
        llm_server.enqueue(error_reply(429, "slow down", retry_after=0.2), json_reply(ANSWER))

        started = time.monotonic()
        raw = openai_client(max_retries=1).chat.completions.with_raw_response.create(
            model="gpt-test", messages=MESSAGES, response_format=RESPONSE_FORMAT
        )
        elapsed = time.monotonic() - started

        assert json.loads(raw.parse().choices[0].message.content) == ANSWER
        assert raw.retries_taken == 1
        assert [r.attempt for r in llm_server.requests] == [0, 1]
        assert elapsed >= 0.2  # the SDK waited as told

    def test_anthropic_retries_a_429(self, llm_server):
        llm_server.enqueue(error_reply(429, retry_after=0.1), json_reply(ANSWER))

        raw = anthropic_client(max_retries=1).messages.with_raw_response.create(
            model="claude-test",
            max_tokens=200,
            messages=[{"role": "user", "content": "hi"}],
            tools=[ANTHROPIC_TOOL],
            tool_choice={"type": "tool", "name": "give_verdicts"},
        )

        assert raw.parse().content[0].input == ANSWER
        assert raw.retries_taken == 1
        assert len(llm_server.requests) == 2

    def test_a_429_past_the_retry_budget_is_a_rate_limit_error(self, llm_server):
        llm_server.enqueue(error_reply(429, "slow down", retry_after=0.05), error_reply(429, retry_after=0.05))

        with pytest.raises(openai.RateLimitError) as caught:
            openai_client(max_retries=1).chat.completions.create(model="gpt-test", messages=MESSAGES)

        assert caught.value.status_code == 429
        assert caught.value.response.headers["retry-after"] == "0.05"
        assert len(llm_server.requests) == 2

    def test_a_500_is_the_sdks_server_error(self, llm_server):
        llm_server.enqueue(error_reply(500, "it broke"), error_reply(500, "it broke"))

        with pytest.raises(openai.InternalServerError) as caught:
            openai_client().chat.completions.create(model="gpt-test", messages=MESSAGES)
        assert caught.value.status_code == 500
        assert "it broke" in str(caught.value)

        with pytest.raises(anthropic.InternalServerError) as caught:
            ask_anthropic(anthropic_client())
        assert caught.value.status_code == 500
        assert caught.value.body["error"]["type"] == "api_error"

    def test_anthropic_overloaded_529(self, llm_server):
        llm_server.enqueue(error_reply(529, "overloaded"))

        with pytest.raises(anthropic.OverloadedError):
            ask_anthropic(anthropic_client())

    def test_hang_trips_the_client_timeout_and_the_server_lets_go(self, llm_server):
        llm_server.enqueue(hang_reply(30), hang_reply(30))

        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            openai_client(timeout=0.3).chat.completions.create(model="gpt-test", messages=MESSAGES)
        with pytest.raises(anthropic.APITimeoutError):
            ask_anthropic(anthropic_client(timeout=0.3))

        assert time.monotonic() - started < 5
        assert len(llm_server.requests) == 2

    def test_stop_does_not_wait_for_a_hung_reply(self):
        with LlmServer() as server:
            server.enqueue(hang_reply(60))
            client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0, timeout=0.2)
            with pytest.raises(openai.APITimeoutError):
                client.chat.completions.create(model="gpt-test", messages=MESSAGES)
            started = time.monotonic()
        assert time.monotonic() - started < 2

    def test_max_in_flight_counts_concurrent_requests(self, llm_server):
        llm_server.responder = lambda request: json_reply(ANSWER, delay=0.2)

        async def five():
            client = openai.AsyncOpenAI(max_retries=0)
            return await asyncio.gather(
                *(
                    client.chat.completions.create(model="gpt-test", messages=MESSAGES, response_format=RESPONSE_FORMAT)
                    for _ in range(5)
                )
            )

        started = time.monotonic()
        replies = asyncio.run(five())

        assert len(replies) == 5
        assert llm_server.max_in_flight == 5
        assert time.monotonic() - started < 1.0  # served side by side, not one after another

    def test_max_in_flight_is_one_for_sequential_calls(self, llm_server):
        llm_server.responder = lambda request: json_reply(ANSWER)
        client = openai_client()
        for _ in range(3):
            client.chat.completions.create(model="gpt-test", messages=MESSAGES)
        assert llm_server.max_in_flight == 1


class TestScripting:
    def test_nothing_scripted_is_a_500_that_says_so_and_is_not_retried(self, llm_server):
        with pytest.raises(openai.InternalServerError, match="no reply scripted"):
            openai.OpenAI(max_retries=2).chat.completions.create(model="gpt-test", messages=MESSAGES)
        assert len(llm_server.requests) == 1

    def test_queue_first_then_responder(self, llm_server):
        llm_server.enqueue(json_reply({"from": "queue"}))
        llm_server.responder = lambda request: json_reply({"from": "responder", "user": request.user})
        client = openai_client()

        first, second = (client.chat.completions.create(model="gpt-test", messages=MESSAGES) for _ in range(2))

        assert json.loads(first.choices[0].message.content) == {"from": "queue"}
        assert json.loads(second.choices[0].message.content) == {"from": "responder", "user": "Is the sky blue?"}
        assert llm_server.pending == 0

    def test_a_failing_responder_is_reported(self, llm_server):
        def broken(request):
            raise KeyError("no such step")

        llm_server.responder = broken
        with pytest.raises(openai.InternalServerError, match="no such step"):
            openai_client().chat.completions.create(model="gpt-test", messages=MESSAGES)
        (trace,) = llm_server.errors
        assert "KeyError" in trace

    def test_enqueue_takes_replies_only(self, llm_server):
        with pytest.raises(TypeError):
            llm_server.enqueue({"verdict": "yes"})

    def test_reset(self, llm_server):
        llm_server.enqueue(json_reply({}), json_reply({}))
        llm_server.responder = lambda request: json_reply({})
        openai_client().chat.completions.create(model="gpt-test", messages=MESSAGES)

        llm_server.reset()

        assert (llm_server.requests, llm_server.pending, llm_server.max_in_flight) == ([], 0, 0)
        assert llm_server.responder is None

    def test_streaming_is_refused_plainly(self, llm_server):
        with pytest.raises(openai.BadRequestError, match="does not stream"):
            openai_client().chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)

    def test_urls(self, llm_server):
        assert llm_server.openai_base_url == f"http://127.0.0.1:{llm_server.port}/v1"
        assert llm_server.anthropic_base_url == f"http://127.0.0.1:{llm_server.port}"


SCHEMAS = [
    VERDICTS,
    {"type": "object", "properties": {"a": {"type": "integer", "minimum": 3}, "b": {"type": "number"}}},
    {"type": "array", "items": {"type": "string", "minLength": 4}, "minItems": 2},
    {"type": "array", "items": {"type": "string"}, "maxItems": 0},
    {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
    {"type": ["string", "null"], "format": "date-time"},
    {"const": "fixed"},
    {"type": "integer", "exclusiveMinimum": 0},
    {
        "$defs": {"claim": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
        "type": "object",
        "properties": {"claims": {"type": "array", "items": {"$ref": "#/$defs/claim"}}},
        "required": ["claims"],
    },
    {"allOf": [{"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}, {"required": []}]},
]


class TestBenchMode:
    @pytest.mark.parametrize("schema", SCHEMAS)
    def test_schema_filler_is_valid(self, schema):
        jsonschema.validate(schema_filler(schema), schema)

    def test_schema_filler_is_minimal(self):
        assert schema_filler(VERDICTS) == {"verdicts": [{"verdict": "yes", "reason": "x"}]}

    def test_bench_responder_answers_any_schema(self):
        with LlmServer() as server:
            server.responder = bench_responder()
            client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
            completion = client.chat.completions.create(
                model="gpt-test", messages=MESSAGES, tools=[OPENAI_TOOL], tool_choice=OPENAI_TOOL_CHOICE
            )
            text = client.chat.completions.create(model="gpt-test", messages=MESSAGES)

        jsonschema.validate(json.loads(completion.choices[0].message.tool_calls[0].function.arguments), VERDICTS)
        assert text.choices[0].message.content == "x"

    def test_command_line(self):
        root = Path(__file__).resolve().parents[2]
        process = subprocess.Popen(
            [sys.executable, "-m", "aegis.testing.llm_server", "--port", "0", "--delay", "0.05", "--lifetime", "30"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            client = anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test", max_retries=0, timeout=10)
            message = ask_anthropic(
                client, tools=[ANTHROPIC_TOOL], tool_choice={"type": "tool", "name": "give_verdicts"}
            )
            jsonschema.validate(message.content[0].input, VERDICTS)
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "served 1 requests" in stderr
