package io.jtune.model;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The weights one forward pass runs with: the base model's, or the base model's seen through an
 * adapter — its LoRA factors on the modules it adapts, and its own trained copies of the modules it
 * trains fully (PEFT's modules_to_save) in place of the base's. Building a view copies no weight.
 */
final class ModelWeights {
    final Param embed, finalNorm, lmHead;
    final Param positionEmbed;        // learned absolute positions (GPT-2's wpe), else null
    final Param embedNorm, embedNormBias;   // the embeddings' LayerNorm (BLOOM's word_embeddings_layernorm), else null
    final Param finalNormBias;        // the final LayerNorm's bias (GPT-2's ln_f), else null
    final DecoderLayer[] layers;
    final int lowestTrainedLayer;     // backward stops here; layers.length when no layer trains
    final int maxKept;                // widest state an adapter part keeps per token (LoRA: its rank; 0 without)
    final int maxDropoutInput;        // widest input of a module with LoRA dropout (0: none)

    ModelWeights(Param embed, Param positionEmbed, Param embedNorm, Param embedNormBias, Param finalNorm, Param finalNormBias,
                 Param lmHead, DecoderLayer[] layers) {
        this.embed = embed;
        this.positionEmbed = positionEmbed;
        this.embedNorm = embedNorm;
        this.embedNormBias = embedNormBias;
        this.finalNorm = finalNorm;
        this.finalNormBias = finalNormBias;
        this.lmHead = lmHead;
        this.layers = layers;
        int lowest = layers.length, rank = 0, dropoutInput = 0;
        for (int l = layers.length - 1; l >= 0; l--) {
            if (layers[l].hasTrainable()) lowest = l;
            for (LinearModule m : layers[l].modules) {
                rank = Math.max(rank, m.keptWidth());
                if (m.hasDropout()) dropoutInput = Math.max(dropoutInput, m.in());
            }
        }
        this.lowestTrainedLayer = embedsTrain() ? 0 : lowest;
        this.maxKept = rank;
        this.maxDropoutInput = dropoutInput;
    }

    /** Whether backward has anything to do below the LM head. */
    boolean trainsBelowHead() {
        return lowestTrainedLayer < layers.length || finalNorm.trainable() || (finalNormBias != null && finalNormBias.trainable());
    }

    /** Whether what makes the layers' input trains (the token or position embedding, the embeddings' norm). */
    boolean embedsTrain() {
        return embed.trainable() || trains(positionEmbed) || trains(embedNorm) || trains(embedNormBias);
    }

    private static boolean trains(Param p) {
        return p != null && p.trainable();
    }

    /**
     * This view with parameters replaced (by identity: base parameter → the adapter's copy) and the
     * adapter's parts added to linear modules (by module path).
     */
    ModelWeights with(Map<Param, Param> replacements, Map<String, ? extends ModuleAdapter> parts) {
        Map<Param, Param> replace = new IdentityHashMap<>(replacements);
        DecoderLayer[] bound = new DecoderLayer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            bound[l] = layers[l].with(p -> replace.getOrDefault(p, p), m -> m.with(replace.getOrDefault(m.weight, m.weight),
                    m.bias == null ? null : replace.getOrDefault(m.bias, m.bias), parts.get(m.path)));
        }
        return new ModelWeights(replace.getOrDefault(embed, embed),
                positionEmbed == null ? null : replace.getOrDefault(positionEmbed, positionEmbed),
                embedNorm == null ? null : replace.getOrDefault(embedNorm, embedNorm),
                embedNormBias == null ? null : replace.getOrDefault(embedNormBias, embedNormBias),
                replace.getOrDefault(finalNorm, finalNorm), finalNormBias == null ? null : replace.getOrDefault(finalNormBias, finalNormBias),
                replace.getOrDefault(lmHead, lmHead), bound);
    }
}
