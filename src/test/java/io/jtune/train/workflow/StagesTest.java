package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.train.objective.TokenCrossEntropy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage key picks a workflow; what each stage declares; what is refused before anything loads. */
class StagesTest {
    @Test
    void eachSupportedStageHasItsWorkflow() {
        assertEquals(List.of("pt", "sft", "rm", "ppo", "dpo", "kto", "grpo"), List.copyOf(Stages.names()));
        StageWorkflow pt = Stages.forName("pt"), sft = Stages.forName("sft");
        assertInstanceOf(PretrainWorkflow.class, pt);
        assertInstanceOf(SupervisedWorkflow.class, sft);
        assertEquals("pt", pt.dataStage());
        assertEquals("sft", sft.dataStage());
        assertInstanceOf(TokenCrossEntropy.class, sft.objective());
        assertEquals(List.of("loss", "eval_loss"), pt.plotKeys());
        assertFalse(pt.predicts());
        assertTrue(sft.predicts());
        StageWorkflow dpo = Stages.forName("dpo");
        assertInstanceOf(DpoWorkflow.class, dpo);
        assertEquals("dpo", dpo.dataStage());
        assertEquals(DatasetBatches.Layout.PAIRS, dpo.batchLayout());
        assertEquals(DatasetBatches.Layout.SINGLE, sft.batchLayout());
        assertEquals(List.of("loss", "eval_loss", "rewards/accuracies"), dpo.plotKeys());
        assertFalse(dpo.predicts());
        StageWorkflow kto = Stages.forName("kto");
        assertInstanceOf(KtoWorkflow.class, kto);
        assertEquals(DatasetBatches.Layout.KTO, kto.batchLayout());
        assertEquals(List.of("loss", "eval_loss", "rewards/chosen"), kto.plotKeys());
        StageWorkflow rm = Stages.forName("rm");
        assertInstanceOf(RewardWorkflow.class, rm);
        assertEquals(DatasetBatches.Layout.PAIRS, rm.batchLayout());
        assertEquals(List.of("loss", "eval_loss", "eval_accuracy"), rm.plotKeys());
        assertTrue(rm.predictsScores() && !rm.predicts(), "rm's do_predict scores pairs, it does not generate");
        assertFalse(sft.predictsScores() || dpo.predictsScores() || kto.predictsScores());
        StageWorkflow grpo = Stages.forName("grpo");
        assertInstanceOf(GrpoWorkflow.class, grpo);
        assertEquals("ppo", grpo.dataStage(), "LLaMA-Factory's prompt-only processor");
        assertEquals(List.of("loss", "reward", "eval_reward"), grpo.plotKeys());
        assertFalse(grpo.predicts() || grpo.predictsScores());
        StageWorkflow ppo = Stages.forName("ppo");
        assertInstanceOf(PpoWorkflow.class, ppo);
        assertEquals("ppo", ppo.dataStage());
        assertEquals(List.of("loss", "reward", "eval_reward"), ppo.plotKeys(), "as LLaMA-Factory's run_ppo plots, and the held-out reward");
        assertFalse(ppo.predicts() || ppo.predictsScores());
    }

    @Test
    void anUnsupportedStageNamesTheSupportedOnes() {
        JtuneException e = assertThrows(JtuneException.class, () -> Stages.forName("orpo"));
        assertEquals("stage: 'orpo' is not supported yet by jtune; supported: pt, sft, rm, ppo, dpo, kto, grpo", e.getMessage());
    }

    /** A model path that does not exist: these errors must come before the model is looked for. */
    private static JtuneConfig config(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("model_name_or_path", "/nonexistent/model", "output_dir", "/nonexistent/out",
                "dataset", "support_shop", "do_train", true));
        for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return ConfigLoader.fromMap("test", m, List.of());
    }

    private static String failure(JtuneConfig config) {
        TrainWorkflow workflow = new TrainWorkflow(config, new PrintStream(new ByteArrayOutputStream()));
        return assertThrows(JtuneException.class, () -> workflow.run(List.of())).getMessage();
    }

    /** Without template, LLaMA-Factory parses the model's chat template; a model without one needs a template named. */
    @Test
    void sftWithoutATemplateNeedsTheModelsChatTemplate(@TempDir Path tmp) throws Exception {
        Path model = io.jtune.infer.TinyChatModels.write(tmp); // its tokenizer has no chat template
        assertEquals("template: required for stage sft, since the model has no chat template to parse (e.g. qwen, llama3, "
                        + "chatml; see docs/templates.md)",
                failure(config("stage", "sft", "model_name_or_path", model.toString(), "output_dir", tmp.resolve("out").toString())));
    }

    @Test
    void rmPredictsTheEvaluationPairsSoItNeedsSome() {
        assertEquals("do_predict: stage rm scores the evaluation pairs; set eval_dataset (or val_size)",
                failure(config("stage", "rm", "template", "chatml", "do_predict", true)));
    }

    @Test
    void onlySftAndRmPredict() {
        assertEquals("do_predict: stage pt does not predict; generating predictions needs stage sft (stage rm predicts the scores of pairs)",
                failure(config("stage", "pt", "do_predict", true, "predict_with_generate", true)));
    }

    @Test
    void grpoRefusesWhatItCannotRunBeforeLoading() {
        assertEquals("reward_funcs: stage grpo needs at least one reward function, e.g. reward_funcs: [numeric_match] (docs/rl.md)",
                failure(config("stage", "grpo")));
        assertEquals("num_generations: 8 does not divide the 12 completions of a step (per_device_train_batch_size x"
                        + " gradient_accumulation_steps)",
                failure(config("stage", "grpo", "reward_funcs", "format", "per_device_train_batch_size", 4, "gradient_accumulation_steps", 3)));
        assertEquals("temperature: stage grpo samples its completions and needs a temperature above 0",
                failure(config("stage", "grpo", "reward_funcs", "format", "per_device_train_batch_size", 8, "temperature", 0.0)));
        assertTrue(failure(config("stage", "grpo", "reward_funcs", "format", "reward_weights", "1,2"))
                .endsWith("key 'reward_weights': 2 weights for 1 reward functions (reward_funcs); give one weight per function"));
    }
}
