package io.jtune.train.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.config.GrpoArguments;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The built-in verifiable rewards, their weighted sum, Java functions by name, and the HTTP reward's request and reply. */
class RewardFunctionsTest {
    private static RewardFunction.Sample sample(String completion, String answer, int tokens) {
        return new RewardFunction.Sample("Q: ", completion, answer, new int[] {1, 2}, new int[tokens]);
    }

    private static GrpoArguments args(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("model_name_or_path", "/m", "stage", "grpo"));
        for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return ConfigLoader.fromMap("test", m, List.of()).grpo();
    }

    @Test
    void answerRewardsCompareTheCompletionsAnswerWithTheDatasets() {
        VerifiableRewards.AnswerPattern whole = VerifiableRewards.AnswerPattern.of(null, "k");
        VerifiableRewards.AnswerPattern tagged = VerifiableRewards.AnswerPattern.of("<answer>(.*?)</answer>", "k");
        assertEquals(1, VerifiableRewards.exactMatch(whole).score(sample(" Paris \n", "Paris", 3)));
        assertEquals(0, VerifiableRewards.exactMatch(whole).score(sample("paris", "Paris", 3)));
        assertEquals(1, VerifiableRewards.normalizedMatch(whole).score(sample("  PARIS!", "paris.", 3)));
        assertEquals(1, VerifiableRewards.exactMatch(tagged).score(sample("I think <answer>Paris</answer>.", "Paris", 3)));
        assertEquals(0, VerifiableRewards.exactMatch(tagged).score(sample("Paris", "Paris", 3)), "no answer tag: no answer");
        VerifiableRewards.AnswerPattern order = VerifiableRewards.AnswerPattern.of("(LP\\d{6})", "k");
        assertEquals(1, VerifiableRewards.exactMatch(order).score(sample("Your order LP187505 is refunded.",
                "The refund for order LP187505 goes back to your card.", 3)), "the pattern's text in the dataset answer");
        assertEquals(0, VerifiableRewards.exactMatch(order).score(sample("Your order LP187506.", "Order LP187505.", 3)));
        RewardFunction numeric = VerifiableRewards.numericMatch(whole, 1e-6);
        assertEquals(1, numeric.score(sample("So the total is 1,200 dollars", "Natalia sold ... #### 1200", 3)));
        assertEquals(1, numeric.score(sample("It is 0.5", "1/2 = 0.5000000001", 3)));
        assertEquals(0, numeric.score(sample("It is 12", "13", 3)));
        assertEquals(0, numeric.score(sample("no number", "13", 3)));
        assertEquals(1, VerifiableRewards.format("^<think>.*</think>\\s*<answer>.*</answer>$", "k")
                .score(sample("<think>a\nb</think>\n<answer>3</answer>", "", 3)), "dot matches newlines");
        RewardFunction length = VerifiableRewards.length(2, 3, Set.of(99));
        assertEquals(1, length.score(new RewardFunction.Sample("", "", "", new int[0], new int[] {5, 6, 7, 99})), "the stop token does not count");
        assertEquals(0, length.score(new RewardFunction.Sample("", "", "", new int[0], new int[] {5})));
    }

    @Test
    void rewardsAreWeightedAndJavaFunctionsComeFirst() {
        RewardFunctions rewards = RewardFunctions.resolve(args("reward_funcs", "exact_match,mine", "reward_weights", "2, 0.5"),
                Map.of("mine", s -> s.completion().length()), () -> null, Set.of());
        assertEquals(List.of("exact_match", "mine"), rewards.functions().stream().map(RewardFunctions.Named::name).toList());
        RewardFunctions.Scores scores = rewards.score(List.of(sample("ab", "ab", 1), sample("abcd", "x", 1)));
        assertArrayEquals(new double[] {2 * 1 + 0.5 * 2, 0.5 * 4}, scores.total(), 0.0);
        JtuneException e = assertThrows(JtuneException.class,
                () -> RewardFunctions.resolve(args("reward_funcs", "exactmatch"), Map.of(), () -> null, Set.of()));
        assertTrue(e.getMessage().startsWith("reward_funcs: 'exactmatch' is not a reward function; use one of exact_match,"), e.getMessage());
        assertThrows(JtuneException.class, () -> RewardFunctions.resolve(args("reward_funcs", "format"), Map.of(), () -> null, Set.of()),
                "format needs its pattern");
        JtuneException nan = assertThrows(JtuneException.class, () -> RewardFunctions.resolve(args("reward_funcs", "bad"),
                Map.of("bad", s -> Double.NaN), () -> null, Set.of()).score(List.of(sample("a", "a", 1))));
        assertTrue(nan.getMessage().contains("rewards must be finite"), nan.getMessage());
    }

    @Test
    void theHttpRewardPostsLlamaFactorysRequestAndReadsScores() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<JsonNode> requests = new ArrayList<>();
        server.createContext("/v1/score/evaluation", exchange -> {
            JsonNode body = new ObjectMapper().readTree(exchange.getRequestBody());
            requests.add(body);
            StringBuilder scores = new StringBuilder("{\"scores\": [");
            for (int i = 0; i < body.get("messages").size(); i++) scores.append(i == 0 ? "" : ", ").append(body.get("messages").get(i).asText().length());
            byte[] reply = scores.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/score/evaluation");
            HttpReward reward = new HttpReward(url, Duration.ofSeconds(5));
            assertArrayEquals(new double[] {5, 7}, reward.scoreAll(List.of(sample("ab", "", 1), sample("abcd", "", 1))), 0.0);
            assertEquals(1, requests.size(), "one request for the batch");
            assertEquals("model", requests.getFirst().get("model").asText());
            assertEquals("Q: ab", requests.getFirst().get("messages").get(0).asText(), "the prompt and the completion together");
            JtuneException wrong = assertThrows(JtuneException.class,
                    () -> new HttpReward(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/missing"), Duration.ofSeconds(5))
                            .scoreAll(List.of(sample("a", "", 1))));
            assertTrue(wrong.getMessage().contains("answered HTTP 404"), wrong.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
