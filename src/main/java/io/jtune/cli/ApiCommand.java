package io.jtune.cli;

import io.jtune.config.JtuneConfig;
import io.jtune.infer.ChatModel;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.RewardScorer;
import io.jtune.infer.ServingMemory;
import io.jtune.serve.ApiServer;
import io.jtune.serve.ApiSettings;
import io.jtune.serve.ScoreEvaluationRoute;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jtune api CONFIG [key=value ...]}: LLaMA-Factory's {@code llamafactory-cli api}, an OpenAI-compatible server. */
@Command(name = "api", description = {"Serve a model and its LoRA adapters with an OpenAI-compatible API (GET /v1/models, POST /v1/chat/completions), GET /health and GET /metrics.",
        "A reward model (a config with stage: rm) is served at POST /v1/score/evaluation instead.",
        "Environment: API_HOST (127.0.0.1), API_PORT (8000), API_KEY (Bearer token), API_MODEL_NAME (gpt-3.5-turbo), API_MAX_REQUEST_BYTES, API_MAX_QUEUE, API_MAX_BATCH (8), API_LOG_PROMPTS, API_LORA_ROOTS.",
        "Ctrl-C stops the server."})
final class ApiCommand implements Callable<Integer> {
    @Mixin ConfigFileArgs args;

    /**
     * A running server and the model behind it: a chat engine, or for stage rm a reward scorer (the
     * other is null); closing stops the server, then frees the model.
     */
    record Running(ApiServer server, LocalChatEngine engine, RewardScorer scorer) implements AutoCloseable {
        String modelName() {
            return engine != null ? engine.modelName() : scorer.modelName();
        }

        @Override
        public void close() {
            server.stop();
            if (engine != null) engine.close();
            if (scorer != null) scorer.close();
        }
    }

    /** Loads the model the config names and starts serving it; a reward model (stage rm) is served for scoring. */
    static Running start(JtuneConfig cfg, ApiSettings settings) {
        if ("rm".equals(cfg.finetuning().stage())) {
            RewardScorer scorer = RewardScorer.load(cfg);
            try {
                ApiServer server = ApiServer.start(ScoreEvaluationRoute.noGeneration(scorer.modelName()), settings,
                        new ScoreEvaluationRoute(scorer));
                return new Running(server, null, scorer);
            } catch (RuntimeException e) {
                scorer.close();
                throw e;
            }
        }
        LocalChatEngine engine = new LocalChatEngine(ChatModel.load(cfg), settings.maxBatch());
        try {
            return new Running(ApiServer.start(engine, settings), engine, null);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        JtuneConfig cfg = args.load();
        for (String w : cfg.warnings()) System.out.println("warning: " + w);
        Running running = start(cfg, ApiSettings.fromEnvironment());
        System.out.println("Serving " + running.modelName() + " on " + running.server().baseUrl()
                + ("rm".equals(cfg.finetuning().stage()) ? " (reward model: POST /v1/score/evaluation)" : " (OpenAI base_url)")
                + "; Ctrl-C stops it.");
        if (running.engine() != null) {
            var config = running.engine().model().model().config();
            System.out.println("Memory: " + ServingMemory.of(config).describe(running.engine().maxConcurrency(), config.maxPositionEmbeddings())
                    + " (the most API_MAX_BATCH full-length conversations can take; see docs/deploy.md)");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "jtune-api-stop"));
        stopped.await();
        return 0;
    }
}
