package io.jtune.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.jtune.JtuneException;
import io.jtune.infer.ChatEngine;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.RewardScorer;
import io.jtune.infer.TokenListener;
import io.jtune.serve.openai.ApiError;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * LLaMA-Factory's reward-model endpoint, POST /v1/score/evaluation: a body
 * {@code {"model": str, "messages": [str, ...], "max_length": int?}} is answered with
 * {@code {"id": "scoreval-...", "object": "score.evaluation", "model": <as asked>, "scores": [float, ...]}},
 * one score per text ({@link RewardScorer}). As in LLaMA-Factory, a server of a generating model
 * refuses it (405), and a server of a reward model refuses chat completions (405); an empty
 * messages list is a 400. The API key check in front of /v1 applies.
 */
public final class ScoreEvaluationRoute {
    static final String PATH = "/v1/score/evaluation";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RewardScorer scorer; // null: the server generates, and scores nothing

    /** @param scorer the reward model to score with; null on a server of a generating model */
    public ScoreEvaluationRoute(RewardScorer scorer) {
        this.scorer = scorer;
    }

    /** The route for a server of a generating model: score requests are refused. */
    static ScoreEvaluationRoute none() {
        return new ScoreEvaluationRoute(null);
    }

    /** Registers the endpoint (and, for a reward model, the refusal of chat completions) after the OpenAI routes and their key check. */
    public void install(RoutesConfig routes) {
        if (scorer != null) {
            routes.before("/v1/chat/completions", ctx -> {
                throw new ApiError(405, "Not allowed: this server serves a reward model (stage rm), which scores texts with POST "
                        + PATH + " and does not generate.", "invalid_request_error", null, "model_cannot_generate");
            });
        }
        routes.post(PATH, this::handle);
    }

    private void handle(Context ctx) {
        if (scorer == null) {
            throw new ApiError(405, "Not allowed: this server serves a generating model; POST " + PATH
                    + " needs a reward model (serve a config with stage: rm).", "invalid_request_error", null, "model_cannot_score");
        }
        JsonNode body;
        try {
            body = JSON.readTree(ctx.bodyAsBytes());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiError.invalid(null, "The body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.invalid(null, "The body could not be read: " + e.getMessage());
        }
        if (body == null || !body.isObject()) throw ApiError.invalid(null, "The body must be a JSON object with model and messages.");
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual()) throw ApiError.invalid("model", "model: required, a string.");
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray()) throw ApiError.invalid("messages", "messages: required, a list of texts to score.");
        if (messages.isEmpty()) throw ApiError.invalid("messages", "Invalid request: messages is empty; give the texts to score.");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).isTextual()) throw ApiError.invalid("messages", "messages[" + i + "]: expected a string.");
            texts.add(messages.get(i).asText());
        }
        JsonNode maxLength = body.get("max_length");
        Integer limit = null;
        if (maxLength != null && !maxLength.isNull()) {
            if (!maxLength.canConvertToInt() || !maxLength.isIntegralNumber() || maxLength.asInt() < 1) {
                throw ApiError.invalid("max_length", "max_length: expected a whole number of tokens >= 1, got " + maxLength + ".");
            }
            limit = maxLength.asInt();
        }
        double[] scores;
        try {
            scores = scorer.scores(texts, limit);
        } catch (JtuneException e) {
            throw ApiError.invalid("messages", e.getMessage());
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("id", "scoreval-" + UUID.randomUUID().toString().replace("-", ""));
        response.put("object", "score.evaluation");
        response.put("model", model.asText());
        List<Double> list = new ArrayList<>();
        for (double s : scores) list.add(s);
        response.put("scores", list);
        ctx.contentType("application/json").result(PythonJson.dumps(response));
    }

    /**
     * What a reward-model server hands the OpenAI routes in place of a chat engine: chat completions
     * are refused before they reach it (see {@link #install}), so it never generates.
     */
    public static ChatEngine noGeneration(String modelName) {
        return new ChatEngine() {
            @Override
            public String modelName() {
                return modelName;
            }

            @Override
            public ChatResult generate(ChatRequest request, TokenListener listener) {
                throw new JtuneException("a reward model does not generate; use POST " + PATH);
            }
        };
    }
}
