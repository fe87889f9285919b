// The texts the tokenizer parity tests encode. Deterministic: hand-written strings plus
// variations of them (leading/trailing spaces, special tokens around and inside, repetitions).
const base = [
  // English prose and punctuation
  "Hello world", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
  "I'm here; you're there. We'll see, they'd say, it's fine—isn't it?",
  "IT'S LOUD. YOU'RE LOUD. I'LL GO.", "Don't stop believing", "e.g. i.e. etc. Mr. Smith's dog",
  "A sentence with    four spaces", "trailing space ", " leading space", "  two leading spaces",
  "tabs\tand\t\ttwo tabs", "new\nline", "two\n\nnewlines", "windows\r\nline ends\r\n",
  "spaces before newline   \nnext", "\n\n\n", "   ", "\t", " ", "a", "", "x  ", "  x",
  "Mixed   \t \n  whitespace \t\n", "end with newline\n", "\r", "\u000b\f vertical tab and form feed",
  "Question? Answer! (parenthetical) [bracketed] {braced} <angled>",
  "\"double quoted\" and 'single quoted' and `back quoted`",
  "email: someone@example.com, url: https://example.org/path?query=1&x=y#frag",
  // digits
  "12345", "3.14159", "1,000,000", "2024-01-15 12:34:56", "phone 555-0123", "x1y22z333", "0", "007",
  "Version 1.2.3 released in 1999 and 2000s", "１２３ full-width digits", "٣٤٥ Arabic-Indic digits", "Ⅷ roman numeral",
  // code
  "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
  "if x == 1 && y != 2 || !z { return; }", "const s = `template ${value}`;", "    indented four",
  "        indented eight\n            twelve", "<html><body class=\"main\">Hi</body></html>",
  "SELECT * FROM users WHERE id = 42;", "a_b-c.d/e\\f", "x+=1;y-=2;z*=3", "print('hello')  # comment",
  "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "#!/bin/bash\necho $HOME | grep -v '^#'",
  // Chinese, Japanese, Korean
  "你好，世界！", "我爱北京天安门。", "机器学习是人工智能的一个分支。", "今天天气很好，我们去公园散步吧。",
  "中文English混合text测试", "繁體中文與简体中文", "日本語のテキストです。", "ひらがな カタカナ 漢字",
  "한국어 텍스트입니다", "数字123和符号！？", "　全角スペース　",
  // other scripts, accents
  "café naïve résumé façade", "Ærøskøbing Straße", "Ελληνικά κείμενο", "Русский текст, и ещё.",
  "עברית מימין לשמאל", "العربية من اليمين", "हिन्दी पाठ", "ไทย ภาษา", "Tiếng Việt có dấu",
  "e\u0301 combining acute (NFD)", "ﬁ ligature and ² superscript", "Ω Ohm sign Å angstrom",
  // emoji and symbols
  "🙂", "I love 🍕 and 🍣!", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "🇺🇸🇯🇵 flags", "✓ ✗ → ← ∑ ∫ ≤ ≥",
  "emoji🤖in🤖words", "😀😃😄😁😆", "©®™ §¶ †‡", "\u00a0non-breaking space", "zero\u200bwidth space",
  // special tokens in text
  "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>", "text<|endoftext|>more text",
  "<s>", "</s>", "<s>Hello</s>", " <s> spaced </s> ", "<unk>", "a<s>b</s>c", "<s><s></s></s>",
  "<|im_start|>system\nYou are helpful.<|im_end|>", "<think>\nreasoning\n</think>\n\nanswer",
  "<tool_call>{\"name\": \"f\"}</tool_call>", "<|im_start|><|im_end|>", "almost <|im_start but not", "<|endoftext",
  "<|fim_prefix|>def<|fim_suffix|>\n<|fim_middle|>",
  // assorted long-ish lines
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ababababababababababababab", "!!!!!!!!!!????????........",
  "----------------------------------------", "============", "____init____", "...", "\\n literal backslash n",
];

const variations = [];
for (const s of base) {
  variations.push(" " + s, s + "\n", "<|im_start|>" + s + "<|im_end|>", "<s> " + s + " </s>");
}
// Random strings of tricky pieces (seeded, so the corpus never changes): they catch what
// hand-written texts miss, e.g. a special token glued to emoji or whitespace of several kinds.
const pieces = ["a", "Z", "s", "t", "S", "'", "re", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "1", "23", "٣",
  "²", ".", ",", "!", "-", "_", "(", "你", "好", "é", "e\u0301", "🤖", "😀", "\u200b", "$", "`", "<s>", "</s>",
  "<|im_start|>", "<|endoftext|>", "<think>", "▁", "Hello", "world", " the", "ing", "ß", "ﬁ", "Ω", "ไทย", "한"];
let seed = 12345;
const random = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const randomTexts = [];
for (let i = 0; i < 200; i++) {
  let s = "";
  for (let k = 1 + random(12); k > 0; k--) s += pieces[random(pieces.length)];
  randomTexts.push(s);
}

const corpus = [...base, ...variations, ...randomTexts];
const seen = new Set();
export const texts = corpus.filter((t) => (seen.has(t) ? false : (seen.add(t), true)));
