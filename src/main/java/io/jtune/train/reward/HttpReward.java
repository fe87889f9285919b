package io.jtune.train.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A reward served over HTTP, with the request and response LLaMA-Factory's api reward model uses
 * (and jtune's /v1/score/evaluation answers): POST {"model": "model", "messages": [text, ...]} where
 * each text is the prompt and completion decoded together, special tokens kept; the reply's
 * "scores" holds one number per text.
 */
public final class HttpReward implements RewardFunction {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI url;
    private final HttpClient client;
    private final Duration timeout;
    private final Function<Sample, String> text;
    private final String key;

    /** Sends each sample's prompt and completion texts joined. */
    public HttpReward(URI url, Duration timeout) {
        this("reward_funcs", url, timeout, s -> s.prompt() + s.completion());
    }

    /**
     * @param key  the config key named in errors (reward_funcs, reward_model)
     * @param text the text sent for a sample (ppo: its prompt and completion ids decoded together, special tokens kept)
     */
    public HttpReward(String key, URI url, Duration timeout, Function<Sample, String> text) {
        this.key = key;
        this.url = url;
        this.timeout = timeout;
        this.text = text;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public double score(Sample sample) {
        return scoreAll(List.of(sample))[0];
    }

    @Override
    public double[] scoreAll(List<Sample> samples) {
        List<String> texts = new ArrayList<>();
        for (Sample s : samples) texts.add(text.apply(s));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "model");
        payload.put("messages", texts);
        try {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(payload))).build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new JtuneException(key + ": " + url + " answered HTTP " + response.statusCode() + ": " + abbreviate(response.body()));
            }
            JsonNode scores = JSON.readTree(response.body()).get("scores");
            if (scores == null || !scores.isArray() || scores.size() != samples.size()) {
                throw new JtuneException(key + ": " + url + " must answer {\"scores\": [...]} with " + samples.size()
                        + " numbers, answered " + abbreviate(response.body()));
            }
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                if (!scores.get(i).isNumber()) throw new JtuneException(key + ": " + url + ": scores[" + i + "] is not a number");
                out[i] = scores.get(i).asDouble();
            }
            return out;
        } catch (IOException e) {
            throw new JtuneException(key + ": cannot reach the reward server " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JtuneException(key + ": interrupted while waiting for " + url, e);
        }
    }

    private static String abbreviate(String body) {
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }
}
