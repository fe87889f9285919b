package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModuleRole;
import io.jtune.model.arch.PositionEncoding;
import io.jtune.nn.Alibi;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * The sizes and the family's ops the layers need, derived once from the config and the family.
 *
 * @param windows        each layer's sliding window (0: attends to everything before it)
 * @param attentionScale what q·k is multiplied by (1/√head_dim unless the config says otherwise)
 * @param attnSoftcap    attention-logit soft-cap (0: none)
 * @param finalSoftcap   final-logit soft-cap (0: none)
 * @param postNorms      whether the family normalises attention's and the MLP's outputs too (Gemma 2)
 * @param localRope      whether the sliding-window layers rotate with a RoPE of their own (Gemma 3)
 * @param fusedQkv       whether one projection (qkv_proj) gives q, k and v side by side (Phi-3)
 * @param fusedGateUp    whether one projection (gate_up_proj) gives the MLP's gate and up halves (Phi-3)
 * @param rotaryDim      how many entries of each head RoPE rotates (head_dim unless partial_rotary_factor says less)
 * @param positions      how attention sees positions (RoPE on q/k, learned embeddings, ALiBi)
 * @param gatedMlp       whether the MLP is act(gate)·up (Llama) rather than act(up) (GPT-2: c_fc, no gate)
 * @param qkvGrouped     whether the fused q/k/v projection is grouped per kv head (BLOOM, Falcon) rather than [q | k | v]
 * @param alibiSlopes    ALiBi's slope per head (BLOOM), else null
 * @param embeddingNorm  whether a LayerNorm follows the embeddings (BLOOM's word_embeddings_layernorm)
 * @param parallelNorms  0: sequential block; 1 or 2: attention and MLP in parallel off one shared or two norms (Falcon)
 * @param ropeInterleaved whether RoPE pairs adjacent entries (GLM) rather than the two halves of the rotated share
 * @param moe            the sparse MoE settings (Mixtral, Qwen-MoE), else null; {@code intermediate} is then the
 *                       dense layers' width, 0 when every layer is sparse
 */
record Dims(int hidden, int intermediate, int heads, int kvHeads, int headDim, int vocab, float eps,
            boolean qkNorm, int[] windows, Normalization norm, GatedActivation activation, float embeddingScale,
            float attentionScale, float attnSoftcap, float finalSoftcap, boolean postNorms, boolean localRope,
            boolean fusedQkv, boolean fusedGateUp, int rotaryDim, PositionEncoding positions, boolean gatedMlp,
            boolean qkvGrouped, float[] alibiSlopes, boolean embeddingNorm, int parallelNorms, boolean ropeInterleaved,
            io.jtune.model.arch.MoeConfig moe) {
    static Dims of(ModelConfig c, ModelFamily family) {
        int[] windows = new int[c.numHiddenLayers()];
        for (int l = 0; l < windows.length; l++) windows[l] = c.slidingWindow(l) == null ? 0 : c.slidingWindow(l);
        boolean denseLayers = c.moe() == null || c.moe().sparseLayers(c.numHiddenLayers()) < c.numHiddenLayers();
        return new Dims(c.hiddenSize(), denseLayers ? c.intermediateSize() : 0, c.numAttentionHeads(), c.numKeyValueHeads(),
                c.headDim(), c.vocabSize(), (float) c.rmsNormEps(), family.has(ModuleRole.Q_NORM, c),
                windows, family.norm(), family.activation(), family.embeddingScale().multiplier(c),
                (float) c.attentionScale(), (float) c.attnLogitSoftcap(), (float) c.finalLogitSoftcap(),
                family.has(ModuleRole.ATTENTION_OUTPUT_NORM, c), c.localRope() != null,
                family.has(ModuleRole.QKV_PROJ, c) || family.has(ModuleRole.QKV_PROJ_GROUPED, c), family.has(ModuleRole.GATE_UP_PROJ, c),
                c.rotaryDim(), family.positions(), family.has(ModuleRole.GATE_PROJ, c) || family.has(ModuleRole.GATE_UP_PROJ, c),
                family.has(ModuleRole.QKV_PROJ_GROUPED, c),
                family.positions() == PositionEncoding.ALIBI ? Alibi.slopes(c.numAttentionHeads()) : null,
                family.stem().stream().anyMatch(m -> m.role() == ModuleRole.EMBEDDING_NORM), c.parallelNorms(),
                family.positions() == PositionEncoding.ROTARY_INTERLEAVED, c.moe());
    }

    /** Whether attention and the MLP both read the block's input (Falcon's parallel_attn). */
    boolean parallel() { return parallelNorms > 0; }

    /** Whether q and k rotate (RoPE). */
    boolean rotary() { return positions == PositionEncoding.ROTARY || positions == PositionEncoding.ROTARY_INTERLEAVED; }

    int qDim() { return heads * headDim; }
    int kvDim() { return kvHeads * headDim; }

    /** The width of a fused projection's output buffer (0 when the family fuses none). */
    int fusedWidth() {
        return Math.max(fusedQkv ? qDim() + 2 * kvDim() : 0, fusedGateUp ? 2 * intermediate : 0);
    }

    /** Layer {@code layer}'s sliding window, 0 when it sees every earlier token. */
    int slidingWindow(int layer) { return windows[layer]; }

    /** Whether layer {@code layer} rotates q and k with the local RoPE tables (a sliding layer of Gemma 3). */
    boolean usesLocalRope(int layer) { return localRope && windows[layer] > 0; }
}
