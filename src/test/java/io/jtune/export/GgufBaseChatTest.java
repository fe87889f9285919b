package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.config.ConfigLoader;
import io.jtune.infer.ChatModel;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.model.Batch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF file as model_name_or_path for chat / api / predict (ChatModel): a tiny model with a real
 * Qwen2-style byte-level tokenizer is exported by jtune to GGUF F16, then loaded both ways. The
 * tokenizer rebuilt from tokenizer.ggml.* encodes and decodes as the HF folder's, the chat
 * template and stop ids match, and the logits (with and without a PEFT adapter) are the folder's
 * within F16 rounding.
 */
class GgufBaseChatTest {
    @TempDir static Path shared;
    static Path fp32, adapter, exported, gguf;

    @BeforeAll
    static void makeModel() throws IOException {
        System.setProperty("jtune.cache", shared.resolve("cache").toString());   // the rebuilt tokenizer files
        fp32 = shared.resolve("tiny-fp32");
        ExportFixtures.fp32Model(fp32);
        adapter = shared.resolve("adapter");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, fp32);
        }
        exported = shared.resolve("exported");
        gguf = ModelExportTest.export(shared, ModelExportTest.yaml(fp32, null, exported), "export_gguf=f16").gguf();
    }

    static ChatModel load(Path model, Path adapterDir) {
        return load(model, adapterDir, "chatml");
    }

    static ChatModel load(Path model, Path adapterDir, String template) {
        Map<String, Object> c = new HashMap<>(Map.of("model_name_or_path", model.toString(), "do_sample", false));
        if (template != null) c.put("template", template);
        if (adapterDir != null) {
            c.put("adapter_name_or_path", adapterDir.toString());
            c.put("finetuning_type", "lora");
        }
        return ChatModel.load(ConfigLoader.fromMap("chat", c, List.of()));
    }

    @Test
    void tokenizerTemplateAndLogitsMatchTheHfFolder() {
        try (ChatModel fromGguf = load(gguf, null); ChatModel fromHf = load(exported, null)) {
            for (String text : List.of("Hello, world! 123 4567", "  spaces\tand\nnewlines  ", "unicode: héllo 日本語 🙂",
                    "<|im_start|>user\nhi<|im_end|>\n")) {
                int[] ids = fromHf.tokenizer().encode(text, false);
                assertArrayEquals(ids, fromGguf.tokenizer().encode(text, false), text);
                assertArrayEquals(fromHf.tokenizer().encode(text, true), fromGguf.tokenizer().encode(text, true), text);
                assertEquals(fromHf.tokenizer().decode(ids, false), fromGguf.tokenizer().decode(ids, false), text);
            }
            assertEquals(fromHf.tokenizer().chatTemplate(), fromGguf.tokenizer().chatTemplate());
            assertEquals(fromHf.stopIds(), fromGguf.stopIds());
            assertEquals(fromHf.stopWords(), fromGguf.stopWords());
            assertF16Close(fromHf, fromGguf);
        }
    }

    /** Without a template key the GGUF's tokenizer.chat_template is rendered (jtune's Jinja), as the folder's chat template is. */
    @Test
    void theGgufsOwnChatTemplateBuildsTheSamePrompts() {
        try (ChatModel fromGguf = load(gguf, null, null); ChatModel fromHf = load(exported, null, null);
             var ggufEngine = new io.jtune.infer.LocalChatEngine(fromGguf); var hfEngine = new io.jtune.infer.LocalChatEngine(fromHf)) {
            var messages = List.of(io.jtune.infer.ChatMessage.user("What is 2 + 2?"));
            int[] ids = hfEngine.promptIds(messages, "Be brief.");
            assertTrue(ids.length > 5);
            assertArrayEquals(ids, ggufEngine.promptIds(messages, "Be brief."));
        }
    }

    @Test
    void aPeftAdapterAttachesToTheGgufBaseWeights() {
        try (ChatModel fromGguf = load(gguf, adapter); ChatModel fromHf = load(exported, adapter)) {
            assertTrue(fromGguf.adapter() != null);
            for (String w : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                    "model.layers.1.mlp.down_proj.weight")) {
                float[] merged = fromGguf.model().mergedWeight(w, fromGguf.adapter());
                float[] bare = fromGguf.model().mergedWeight(w, null);
                float[] reference = fromHf.model().mergedWeight(w, fromHf.adapter());
                double f16Error = ModelExportTest.maxAbsDiff(reference, merged);
                double adapterEffect = ModelExportTest.maxAbsDiff(merged, bare);
                assertTrue(f16Error < 2e-3, w + ": base + adapter differs from the HF folder's by " + f16Error);
                assertTrue(adapterEffect > 50 * f16Error, w + ": the adapter changes the weight by " + adapterEffect);
            }
        }
    }

    /** The GGUF stores the fp32 folder's weights in F16: logits agree to F16 rounding (stated bound 1% of max |logit|). */
    static double assertF16Close(ChatModel hf, ChatModel gguf) {
        Batch batch = ExportFixtures.batch(hf.model().config().vocabSize());
        float[] a = hf.model().forwardLogits(batch), b = gguf.model().forwardLogits(batch);
        double max = 0;
        for (float v : a) max = Math.max(max, Math.abs(v));
        double diff = ModelExportTest.maxAbsDiff(a, b);
        assertTrue(diff > 0 || max > 0);
        assertTrue(diff <= 0.01 * max, "logits differ by " + diff + ", max |logit| " + max);
        return diff;
    }
}
