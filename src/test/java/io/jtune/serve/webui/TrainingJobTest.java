package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.config.ConfigLoader;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the page is told about a job, driven through the trainer's listener calls with a fake clock. */
class TrainingJobTest {
    private final AtomicLong now = new AtomicLong();

    private TrainingJob job() {
        return job("sft");
    }

    private TrainingJob job(String stage) {
        return new TrainingJob("train", ConfigLoader.fromMap("test", Map.of("model_name_or_path", "m", "output_dir", "out", "stage", stage),
                List.of()), Map.of("max_steps", 20), "yaml: here\n", now::get);
    }

    private static TrainerListener.StepLog log(int step, String metric, double value) {
        return new TrainerListener.StepLog(step, 20, 0.69, 1.0, 1e-3, 0.1, 100, 1.0, Map.of(metric, value, "logps/chosen", -9.0));
    }

    @Test
    void eachPreferenceStageChartsItsOwnMetricBesideTheLoss() {
        for (String[] stage : new String[][] {{"dpo", "rewards/accuracies"}, {"rm", "accuracy"}, {"kto", "rewards/chosen"}}) {
            TrainingJob job = job(stage[0]);
            job.onTrainBegin(TrainingPlan.of(10, 1, 3.0, 20, 1, 0, 0), 0);
            job.onLog(log(1, stage[1], 0.5));
            job.onLog(log(2, stage[1], 0.75));
            job.onEvaluate(2, 0.2, 0.65, Map.of(stage[1], 0.625));
            JsonNode curve = job.toJson().get("metric_curve");
            assertEquals(stage[1], curve.get("name").asText(), stage[0]);
            assertEquals("[[1,0.5],[2,0.75]]", curve.get("train").toString(), stage[0]);
            assertEquals("[[2,0.625]]", curve.get("eval").toString(), stage[0]);
        }
        assertFalse(job("sft").toJson().has("metric_curve"), "sft has the loss curve only");
        assertFalse(job("sft").toJson().has("metric_curves"));
        assertFalse(job("pt").toJson().has("metric_curve"));
    }

    @Test
    void theOnlineStagesChartTheRewardAndTheKl() {
        for (String stage : new String[] {"ppo", "grpo"}) {
            TrainingJob job = job(stage);
            job.onTrainBegin(TrainingPlan.of(10, 1, 3.0, 20, 1, 0, 0), 0);
            job.onLog(new TrainerListener.StepLog(1, 20, 0.1, 1.0, 1e-3, 0.1, 100, 1.0, Map.of("reward", 0.25, "kl", 0.0)));
            job.onLog(new TrainerListener.StepLog(2, 20, 0.1, 1.0, 1e-3, 0.2, 200, 2.0, Map.of("reward", 0.5, "kl", 0.125)));
            job.onEvaluate(2, 0.2, 0.05, Map.of("reward", 0.375));
            JsonNode curves = job.toJson().get("metric_curves");
            assertEquals(2, curves.size(), stage);
            assertEquals("reward", curves.get(0).get("name").asText());
            assertEquals("[[1,0.25],[2,0.5]]", curves.get(0).get("train").toString());
            assertEquals("[[2,0.375]]", curves.get(0).get("eval").toString(), "the held-out reward");
            assertEquals("kl", curves.get(1).get("name").asText());
            assertEquals("[[1,0.0],[2,0.125]]", curves.get(1).get("train").toString());
            assertEquals("reward", job.toJson().get("metric_curve").get("name").asText(), "the first chart, as for the preference stages");
        }
    }

    @Test
    void progressLossesAndEtaFromThePaceOfThisRun() {
        TrainingJob job = job();
        job.onTrainBegin(TrainingPlan.of(10, 1, 3.0, 20, 1, 0, 0), 4); // resumed at step 4 of 20
        assertEquals("running", job.toJson().get("state").asText());
        assertFalse(job.toJson().has("eta_s"), "no ETA before the first step");
        now.addAndGet(2_000_000_000L);
        job.onStep(5, 2.5, 1e-3, 0.5, 100);
        now.addAndGet(2_000_000_000L);
        job.onStep(6, 2.25, 1e-3, 0.6, 200);
        JsonNode n = job.toJson();
        assertEquals(6, n.get("step").asInt());
        assertEquals(20, n.get("total_steps").asInt());
        assertEquals(28.0, n.get("eta_s").asDouble(), 1e-9, "2 s a step, 14 steps left");
        assertEquals("[[5,2.5],[6,2.25]]", n.get("loss").toString());
        assertEquals("out", n.get("output_dir").asText());
        assertEquals("{\"max_steps\":20}", n.get("values").toString(), "a reloaded page refills its form from these");
    }

    @Test
    void theObjectivesLatestMetricsAreShownBesideTheLoss() {
        TrainingJob job = job();
        job.onTrainBegin(TrainingPlan.of(10, 1, 3.0, 20, 1, 0, 0), 0);
        assertEquals("{}", job.toJson().get("metrics").toString(), "cross-entropy has none");
        job.onLog(new TrainerListener.StepLog(1, 20, 0.69, 1.0, 1e-3, 0.1, 100, 1.0, Map.of("rewards/accuracies", 0.5)));
        job.onLog(new TrainerListener.StepLog(2, 20, 0.60, 1.0, 1e-3, 0.2, 200, 2.0, Map.of("rewards/accuracies", 0.75)));
        job.onEvaluate(2, 0.2, 0.65, Map.of("rewards/accuracies", 0.625));
        assertEquals("{\"eval_rewards/accuracies\":0.625,\"rewards/accuracies\":0.75}", job.toJson().get("metrics").toString());
    }

    @Test
    void anAbortDuringLoadingStopsTheTrainerAsSoonAsItBegins() {
        TrainingJob job = job();
        job.abort();
        assertEquals(TrainingJob.State.STOPPING, job.state());
        job.onTrainBegin(TrainingPlan.of(10, 1, 3.0, 20, 1, 0, 0), 0);
        assertEquals(TrainingJob.State.STOPPING, job.state(), "still stopping, not running");
        assertTrue(job.isActive());
    }

    @Test
    void theLogTailKeepsTheNewestLines() {
        LogTail tail = new LogTail(2);
        byte[] text = "one\ntwo\r\nthree\rfour".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : text) tail.write(b);
        tail.write('\n');
        assertEquals(List.of("three", "four"), tail.lines());
    }
}
