package io.jtune.data;

import static io.jtune.data.TokenizedExample.IGNORE_INDEX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.data.process.DatasetProcessor;
import io.jtune.data.process.Knapsack;
import io.jtune.data.process.SequenceLength;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import io.jtune.data.template.Templates;
import io.jtune.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Ids and labels of each stage's processor, written out from LLaMA-Factory's processor rules. */
class ProcessorsTest {
    static final FakeTokenizer LLAMA = FakeTokenizer.llamaLike();
    static final FakeTokenizer QWEN = FakeTokenizer.qwenLike();

    static int[] ids(String text) {
        return LLAMA.encode(text, false);
    }

    static int[] ignore(int n) {
        int[] a = new int[n];
        Arrays.fill(a, IGNORE_INDEX);
        return a;
    }

    static int[] cat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static DataOptions.Builder opts(String template) {
        return DataOptions.builder(List.of("d"), Path.of("data")).template(template);
    }

    static List<TokenizedExample> run(DataOptions o, Tokenizer tokenizer, SkipReport skips, AlignedExample... examples) {
        Template t = DatasetPipeline.configuredTemplate(o);
        return DatasetProcessor.forStage(o, t, ChatTokenizer.of(tokenizer, t)).process(List.of(examples), skips);
    }

    static List<TokenizedExample> run(DataOptions o, AlignedExample... examples) {
        return run(o, LLAMA, new SkipReport(), examples);
    }

    static AlignedExample chat(String... turns) {
        List<Message> msgs = IntStream.range(0, turns.length)
                .mapToObj(i -> i % 2 == 0 ? Message.user(turns[i]) : Message.assistant(turns[i])).toList();
        return new AlignedExample(msgs.subList(0, msgs.size() - 1), List.of(msgs.getLast()), null, null, "t:1");
    }

    @Test
    void supervisedMasksEveryPrompt() {
        TokenizedExample ex = run(opts("llama2").build(), chat("a", "b", "c", "d")).getFirst();
        int[] p1 = ids("<s>[INST] a [/INST]"), r1 = ids("b</s>"), p2 = ids("<s>[INST] c [/INST]"), r2 = ids("d</s>");
        assertArrayEquals(cat(p1, r1, p2, r2), ex.inputIds());
        assertArrayEquals(cat(ignore(p1.length), r1, ignore(p2.length), r2), ex.labels());
    }

    @Test
    void trainOnPromptAndMaskHistory() {
        TokenizedExample all = run(opts("llama2").trainOnPrompt(true).build(), chat("a", "b", "c", "d")).getFirst();
        assertArrayEquals(all.inputIds(), all.labels());
        TokenizedExample last = run(opts("llama2").maskHistory(true).build(), chat("a", "b", "c", "d")).getFirst();
        int[] p1 = ids("<s>[INST] a [/INST]"), r1 = ids("b</s>"), p2 = ids("<s>[INST] c [/INST]"), r2 = ids("d</s>");
        assertArrayEquals(cat(p1, r1, p2, r2), last.inputIds());
        assertArrayEquals(cat(ignore(p1.length + r1.length + p2.length), r2), last.labels());
    }

    @Test
    void defaultSystemAndToolFormatOverrides() {
        AlignedExample ex = new AlignedExample(List.of(Message.user("a")), List.of(Message.assistant("b")), null,
                "[{\"name\": \"t\", \"description\": \"d\", \"parameters\": {\"type\": \"object\", "
                        + "\"properties\": {}}}]", "t:1");
        TokenizedExample out = run(opts("qwen").defaultSystem("Be nice.").toolFormat("default").build(), QWEN,
                new SkipReport(), ex).getFirst();
        String text = QWEN.decode(out.inputIds(), false);
        assertEquals("<|im_start|>system\nBe nice.You have access to the following tools:\n> Tool Name: t\n"
                + "Tool Description: d\nTool Args:\n\nUse the following format if using a tool:\n```\n"
                + "Action: tool name (one of [t])\nAction Input: the input to the tool, in a JSON format representing "
                + "the kwargs (e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n<|im_end|>\n"
                + "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n", text);
    }

    @Test
    void inferSeqlenSplitsTheBudgetAsLlamaFactory() {
        assertArrayEquals(new int[] {4, 4}, SequenceLength.infer(10, 10, 8));
        assertArrayEquals(new int[] {3, 7}, SequenceLength.infer(3, 100, 10));
        assertArrayEquals(new int[] {7, 3}, SequenceLength.infer(100, 3, 10));
        assertArrayEquals(new int[] {2, 3}, SequenceLength.infer(2, 3, 10));
        TokenizedExample ex = run(opts("empty").cutoffLen(8).build(), chat("abcdefghij", "ABCDEFGHIJ")).getFirst();
        assertArrayEquals(ids("abcdABCD"), ex.inputIds());
        assertArrayEquals(cat(ignore(4), ids("ABCD")), ex.labels());
    }

    @Test
    void efficientEosLabelsTheEosAtTheNextPromptAndAtTheEnd() {
        TokenizedExample ex = run(opts("glm4").build(), chat("a", "b", "c", "d")).getFirst();
        int eos = LLAMA.eosTokenId().getAsInt();
        int[] p1 = ids("[gMASK]<sop><|user|>\na<|assistant|>"), r1 = ids("\nb");
        int[] p2 = ids("<|user|>\nc<|assistant|>"), r2 = ids("\nd");
        assertArrayEquals(cat(p1, r1, p2, r2, new int[] {eos}), ex.inputIds());
        assertArrayEquals(cat(ignore(p1.length), r1, new int[] {eos}, ignore(p2.length - 1), r2, new int[] {eos}),
                ex.labels());
    }

    @Test
    void wrongShapesAreSkippedWithReasons() {
        SkipReport skips = new SkipReport();
        AlignedExample noResponse = new AlignedExample(List.of(Message.user("a")), List.of(), null, null, "f:1");
        AlignedExample empty = chat("a", "");
        AlignedExample badTools = new AlignedExample(List.of(Message.user("a")), List.of(Message.assistant("b")),
                null, "{oops", "f:3");
        assertEquals(0, run(opts("qwen").build(), QWEN, skips, noResponse, empty, badTools).size());
        assertEquals(1, skips.count("no response"));
        assertEquals(1, skips.count("empty response"));
        assertEquals(1, skips.count("tools is not valid JSON"));
    }

    @Test
    void greedyKnapsackAsLlamaFactory() {
        assertEquals(List.of(List.of(14), List.of(4, 2)), Knapsack.greedy(List.of(2, 14, 4), 15));
        assertEquals(List.of(List.of(5, 5), List.of(5, 3, 1)), Knapsack.greedy(List.of(5, 1, 5, 3, 5), 10));
    }

    @Test
    void neatPackingGivesSegmentsAndRestartingPositions() {
        SkipReport skips = new SkipReport();
        List<TokenizedExample> packs = run(opts("empty").cutoffLen(16).neatPacking(true).build(), LLAMA, skips,
                chat("a", "b"), chat("ab", "cd"), chat("abcdefg", "ABCDEFG"));
        assertEquals(0, skips.total()); // examples are cut to cutoff_len before packing, so none is too long
        assertEquals(2, packs.size());
        int pad = LLAMA.eosTokenId().getAsInt(); // pad = EOS when the tokenizer has no pad token
        TokenizedExample first = packs.get(0);
        assertArrayEquals(cat(ids("abcdefgABCDEFG"), filled(2, pad)), first.inputIds()); // cutoff_len 16 = 15 + 1
        assertArrayEquals(cat(IntStream.range(0, 14).toArray(), new int[] {0, 0}), first.get("position_ids"));
        TokenizedExample second = packs.get(1);
        assertArrayEquals(cat(ids("abcd"), ids("ab"), filled(10, pad)), second.inputIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, second.get("attention_mask"));
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, second.get("position_ids"));
        assertArrayEquals(cat(ignore(2), ids("cd"), ignore(1), ids("b"), ignore(10)), second.labels());
    }

    static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void equalLengthsArePackedLastFirstAsLlamaFactoryPopsThem() {
        List<TokenizedExample> packs = run(opts("empty").cutoffLen(8).packing(true).build(),
                chat("a", "1"), chat("b", "2"), chat("c", "3"));
        assertEquals(1, packs.size());
        assertArrayEquals(cat(ids("c3b2a1"), filled(2, LLAMA.eosTokenId().getAsInt())), packs.getFirst().inputIds());
    }

    @Test
    void plainPackingHasAllOnesMask() {
        List<TokenizedExample> packs = run(opts("empty").cutoffLen(16).packing(true).build(), chat("a", "b"), chat("ab", "cd"));
        assertEquals(1, packs.size());
        assertArrayEquals(filled(16, 1), packs.getFirst().get("attention_mask"));
    }

    @Test
    void pretrainConcatenatesAndCutsBlocks() {
        AlignedExample t1 = new AlignedExample(List.of(Message.user("abc")), List.of(), null, null, "t:1");
        AlignedExample t2 = new AlignedExample(List.of(Message.user("de")), List.of(), null, null, "t:2");
        int eos = QWEN.eosTokenId().getAsInt();
        List<TokenizedExample> blocks = run(opts("empty").stage("pt").cutoffLen(4).build(), QWEN, new SkipReport(), t1, t2);
        assertEquals(2, blocks.size()); // 7 tokens in blocks of cutoff_len - 1 = 3, the tail dropped
        assertArrayEquals(ids("abc"), blocks.get(0).inputIds());
        assertArrayEquals(cat(new int[] {eos}, ids("de")), blocks.get(1).inputIds());
        // A tokenizer that adds BOS starts every block with it.
        List<TokenizedExample> llama = run(opts("empty").stage("pt").cutoffLen(4).build(), t1, t2);
        int bos = LLAMA.bosTokenId().getAsInt();
        assertArrayEquals(cat(new int[] {bos}, ids("bc")), llama.get(0).inputIds());
        // Without packing each text is cut on its own, BOS first.
        List<TokenizedExample> single = run(opts("empty").stage("pt").packing(false).cutoffLen(3).build(), t1, t2);
        assertArrayEquals(cat(new int[] {bos}, ids("ab")), single.get(0).inputIds());
        assertArrayEquals(cat(new int[] {bos}, ids("de")), single.get(1).inputIds());
    }

    @Test
    void pairwiseSharesThePrompt() {
        AlignedExample pair = new AlignedExample(List.of(Message.user("q")),
                List.of(Message.assistant("good"), Message.assistant("bad")), null, null, "p:1");
        TokenizedExample ex = run(opts("llama2").stage("dpo").build(), pair).getFirst();
        int[] prompt = ids("<s>[INST] q [/INST]");
        assertArrayEquals(cat(prompt, ids("good</s>")), ex.get("chosen_input_ids"));
        assertArrayEquals(cat(ignore(prompt.length), ids("good</s>")), ex.get("chosen_labels"));
        assertArrayEquals(cat(prompt, ids("bad</s>")), ex.get("rejected_input_ids"));
    }

    @Test
    void pairsWithAnEmptyOrRepeatedAnswerAreSkippedWithReasons() {
        SkipReport skips = new SkipReport();
        AlignedExample same = new AlignedExample(List.of(Message.user("q")),
                List.of(Message.assistant("same"), Message.assistant("same")), null, null, "p:1");
        AlignedExample emptyRejected = new AlignedExample(List.of(Message.user("q")),
                List.of(Message.assistant("good"), Message.assistant(" ")), null, null, "p:2");
        AlignedExample fine = new AlignedExample(List.of(Message.user("q")),
                List.of(Message.assistant("good"), Message.assistant("bad")), null, null, "p:3");
        assertEquals(1, run(opts("llama2").stage("dpo").build(), LLAMA, skips, same, emptyRejected, fine).size());
        assertEquals(1, skips.count("chosen equals rejected"));
        assertEquals(1, skips.count("empty answer in a preference pair"));
    }

    @Test
    void ktoTagsAndKlPairsFromThePreviousRecord() {
        AlignedExample good = new AlignedExample(List.of(Message.user("q1")),
                List.of(Message.assistant("yes"), Message.assistant("")), null, null, "k:1");
        AlignedExample bad = new AlignedExample(List.of(Message.user("q2")),
                List.of(Message.assistant(""), Message.assistant("no")), null, null, "k:2");
        List<TokenizedExample> out = run(opts("empty").stage("kto").build(), good, bad);
        assertArrayEquals(new int[] {1}, out.get(0).get("kto_tags"));
        assertArrayEquals(new int[] {0}, out.get(1).get("kto_tags"));
        assertArrayEquals(ids("q1yes"), out.get(0).inputIds());
        assertArrayEquals(ids("q1no"), out.get(0).get("kl_input_ids"));
        assertArrayEquals(ids("q2yes"), out.get(1).get("kl_input_ids"));
        assertArrayEquals(cat(ignore(2), ids("no")), out.get(1).labels());
    }
}
