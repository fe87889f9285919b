package io.jtune.bench;

import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.arch.ModelConfig;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.ObjectiveRunner;
import io.jtune.train.objective.PreferenceObjective;
import io.jtune.train.objective.TokenCrossEntropy;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The steps `jtune bench dpo` compares, on one batch of n preference pairs (2n sequences of seq tokens:
 * n chosen rows, then n rejected rows): LoRA r8 (alpha 16, every linear layer but lm_head) with an AdamW
 * update, trained either on DPO's sigmoid loss against the reference (the same base with the adapter
 * off, one extra forward pass without gradients, as stage dpo runs it) or on cross-entropy over the
 * same 2n sequences (the SFT step it is measured against). Both run through the trainer's
 * {@link ObjectiveRunner}, as `jtune train` does.
 */
public final class PreferenceStepSetup implements TrainingStep.Factory {
    /** What the step trains on. */
    public enum Kind {
        SFT("sft"), DPO("dpo");

        final String option;

        Kind(String option) {
            this.option = option;
        }

        static Kind of(String option) {
            for (Kind k : values()) if (k.option.equals(option)) return k;
            throw new IllegalArgumentException("not a preference step kind: " + option);
        }
    }

    private final String name;
    private final ModelConfig config;
    private final FrozenWeights frozen;
    private final boolean gradientCheckpointing;
    private final int pairs;
    private final Kind kind;

    public PreferenceStepSetup(String architecture, FrozenWeights frozen, boolean gradientCheckpointing, int pairs, Kind kind) {
        this(new LoraStepSetup(architecture, frozen, gradientCheckpointing).name(), LoraStepSetup.architecture(architecture), frozen,
                gradientCheckpointing, pairs, kind);
    }

    /** Any architecture, by config (tests use tiny ones). */
    PreferenceStepSetup(String baseName, ModelConfig config, FrozenWeights frozen, boolean gradientCheckpointing, int pairs, Kind kind) {
        if (pairs < 1) throw new IllegalArgumentException("pairs must be at least 1: " + pairs);
        this.config = config;
        this.frozen = frozen;
        this.gradientCheckpointing = gradientCheckpointing;
        this.pairs = pairs;
        this.kind = kind;
        this.name = baseName + (kind == Kind.DPO ? " DPO sigmoid, " + pairs + " pairs" : " SFT, " + 2 * pairs + " sequences");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TrainingStep create(int seq) {
        var lora = new FinetuneSpec.Lora(LoraStepSetup.RANK, 16.0, 0.0, List.of("all"), false, List.of());
        CausalLM model = ModelBuilder.build(config, frozen.randomWeights(config, 1234), FinetuneSpec.lora(lora),
                new CausalLM.Options(gradientCheckpointing, CausalLM.Options.defaults().seed()));
        AdamW optimizer = AdamW.withDefaults(model.parameterValues(), model.gradients(),
                ParamGroup.hfDefault(model.trainableParameters(), 0.0));
        SplittableRandom random = new SplittableRandom(7);
        int[][] ids = new int[2 * pairs][];
        for (int r = 0; r < ids.length; r++) ids[r] = random.ints(seq, 0, config.vocabSize()).toArray();
        Batch batch = Batch.of(ids, ids);
        Objective objective = kind == Kind.DPO ? dpo(model) : new TokenCrossEntropy();
        ObjectiveRunner runner = new ObjectiveRunner(model, objective);
        double units = objective.normaliser(batch);
        double trained = 2 * pairs * StepFlops.loraStep(config, seq, LoraStepSetup.RANK);
        double flops = kind == Kind.DPO ? trained + 2 * pairs * StepFlops.frozenForward(config, seq) : trained;
        return new TrainingStep() {
            @Override
            public double step() {
                model.zeroGrad();
                double loss = runner.train(batch, (float) (1 / units)).sum() / units;
                optimizer.step(1e-4);
                return loss;
            }

            @Override
            public int tokensPerStep() {
                return 2 * pairs * seq;
            }

            @Override
            public double flopsPerStep() {
                return flops;
            }
        };
    }

    /** Stage dpo's objective with LoRA: the reference is the base with the adapter off; the frozen LM head's row mean is computed once. */
    private static PreferenceObjective dpo(CausalLM model) {
        var settings = new PreferenceObjective.Settings(PreferenceObjective.LossType.of("sigmoid"), 0.1, 0.0, 0.0, 0.5, null);
        double[][] headMean = new double[1][];
        return new PreferenceObjective(settings, new PreferenceObjective.Passes() {
            @Override
            public double[] referenceLogProbs(Batch b) {
                return model.forward(b, null, false, null).sequenceLogProbs();
            }

            @Override
            public double[] lmHeadRowMean() {
                if (headMean[0] == null) headMean[0] = model.lmHeadRowMean(model.adapter());
                return headMean[0];
            }
        });
    }
}
