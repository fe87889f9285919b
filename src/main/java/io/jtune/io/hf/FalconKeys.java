package io.jtune.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Falcon's layout keys, read as FalconConfig and FalconAttention read them: multi_query (default true)
 * gives one key/value head unless new_decoder_architecture (default false), which takes num_kv_heads
 * (default: as many as the query heads), as does a model without multi_query; parallel_attn (default
 * true) runs attention and the MLP off the block's input, with one shared LayerNorm, or in the new
 * architecture num_ln_in_parallel_attn of them (default 2: ln_attn and ln_mlp). alibi: true is refused.
 */
final class FalconKeys {
    private FalconKeys() {}

    /** config.json with num_key_value_heads as FalconAttention counts them. */
    static ObjectNode withKeyValueHeads(ObjectNode json, JsonKeys keys) {
        if (keys.bool("alibi", false)) {
            throw keys.error("alibi", "is true: Falcon's ALiBi variants are not supported yet (jtune runs Falcon with rotary positions)");
        }
        boolean newArchitecture = keys.bool("new_decoder_architecture", false), multiQuery = keys.bool("multi_query", true);
        ObjectNode copy = json.deepCopy();
        if (newArchitecture || !multiQuery) {
            if (keys.has("num_kv_heads")) copy.set("num_key_value_heads", json.get("num_kv_heads"));
            else copy.remove("num_key_value_heads");          // as many as the query heads
        } else {
            copy.put("num_key_value_heads", 1);
        }
        return copy;
    }

    /** 0 for a sequential block, else the number of LayerNorms of the parallel block (1 or 2). */
    static int parallelNorms(JsonKeys keys) {
        boolean newArchitecture = keys.bool("new_decoder_architecture", false);
        if (!keys.bool("parallel_attn", true)) {
            if (newArchitecture) {
                throw keys.error("parallel_attn", "is false with new_decoder_architecture, which jtune does not support yet");
            }
            return 0;
        }
        if (!newArchitecture) return 1;
        int norms = keys.has("num_ln_in_parallel_attn") ? keys.positive("num_ln_in_parallel_attn", 2) : 2;
        if (norms > 2) throw keys.error("num_ln_in_parallel_attn", "must be 1 or 2, found " + norms);
        return norms;
    }
}
