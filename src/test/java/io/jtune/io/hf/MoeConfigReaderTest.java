package io.jtune.io.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.MoeConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Mixture-of-Experts keys of config.json, with each config class's defaults and clear errors. */
class MoeConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ModelConfig parse(String json) throws Exception {
        return HfConfigReader.parse((ObjectNode) JSON.readTree(json), Path.of("m", "config.json"));
    }

    @Test
    void mixtralReadsItsExpertsAndAlwaysRenormalises() throws Exception {
        MoeConfig moe = parse("{\"model_type\": \"mixtral\", \"norm_topk_prob\": false}").moe();
        assertEquals(new MoeConfig(8, 2, 14336, true, 0, 1, List.of(), 0.001), moe);
        ModelConfig c = parse("{\"model_type\": \"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 1,"
                + " \"intermediate_size\": 64, \"router_aux_loss_coef\": 0.02}");
        assertEquals(new MoeConfig(4, 1, 64, true, 0, 1, List.of(), 0.02), c.moe());
        assertEquals(1e6, c.rope().theta(), "MixtralConfig's rope_theta");
    }

    @Test
    void qwenMoeReadsWidthsSharedExpertAndDenseLayers() throws Exception {
        MoeConfig qwen2 = parse("{\"model_type\": \"qwen2_moe\", \"num_hidden_layers\": 4}").moe();
        assertEquals(new MoeConfig(60, 4, 1408, false, 5632, 1, List.of(), 0.001), qwen2);
        ModelConfig c = parse("{\"model_type\": \"qwen2_moe\", \"num_hidden_layers\": 4, \"decoder_sparse_step\": 2,"
                + " \"mlp_only_layers\": [3], \"norm_topk_prob\": true, \"shared_expert_intermediate_size\": 0}");
        assertFalse(c.moe().sparse(0));
        assertTrue(c.moe().sparse(1));
        assertFalse(c.moe().sparse(3), "mlp_only_layers");
        assertFalse(c.moe().hasSharedExpert());
        assertTrue(c.moe().normTopkProb());
        assertTrue(c.attentionBias(), "Qwen2MoeAttention biases q/k/v");
        MoeConfig qwen3 = parse("{\"model_type\": \"qwen3_moe\"}").moe();
        assertEquals(new MoeConfig(128, 8, 768, false, 0, 1, List.of(), 0.001), qwen3);
        assertTrue(parse("{\"model_type\": \"qwen3_moe\"}").qkNorm());
        assertEquals(null, parse("{\"model_type\": \"llama\"}").moe(), "a dense family has none");
    }

    @Test
    void badMoeKeysNameTheKey() {
        for (String[] bad : new String[][] {
                {"{\"model_type\": \"mixtral\", \"num_local_experts\": 2, \"num_experts_per_tok\": 3}", "num_experts_per_tok"},
                {"{\"model_type\": \"mixtral\", \"router_jitter_noise\": 0.1}", "router_jitter_noise"},
                {"{\"model_type\": \"qwen2_moe\", \"num_hidden_layers\": 2, \"mlp_only_layers\": [5]}", "mlp_only_layers"},
                {"{\"model_type\": \"qwen3_moe\", \"num_experts\": 0}", "num_experts"}}) {
            Exception e = assertThrows(Exception.class, () -> parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]) && e.getMessage().contains("config.json"), e.getMessage());
        }
    }
}
