package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.SamplingParams;
import io.jtune.infer.TinyChatModels;
import io.jtune.infer.TokenListener;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jtune chat} on a tiny real model, driven through a fake stdin. */
class ChatCommandTest {
    @TempDir Path tmp;

    @Test
    void multiTurnChatWithClearExitAndASystemPrompt() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        Path config = tmp.resolve("chat.yaml");
        Files.writeString(config, "model_name_or_path: " + modelDir + "\ntemplate: qwen\ndo_sample: false\nmax_new_tokens: 8\n");

        String stdin = "hello\nthe world\nclear\n你好\nexit\nthis line is never read\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(new ChatCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out));
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        assertEquals(0, cl.execute(config.toString(), "--system", "Be brief.", "max_new_tokens=6"));
        String transcript = bytes.toString(StandardCharsets.UTF_8);

        // The same conversation straight through the engine: turn 2 sees turn 1, turn 3 starts afresh.
        String r1, r2, r3;
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, "max_new_tokens=6")))) {
            r1 = reply(engine, "hello");
            r2 = reply(engine, "hello", r1, "the world");
            r3 = reply(engine, "你好");
        }
        int a = transcript.indexOf("Assistant: " + r1 + "\n");
        int b = transcript.indexOf("Assistant: " + r2 + "\n", a + 1);
        int clear = transcript.indexOf("History has been removed.", b + 1);
        int c = transcript.indexOf("Assistant: " + r3 + "\n", clear + 1);
        assertTrue(a >= 0 && b > a && clear > b && c > clear, transcript);
        assertEquals(3, transcript.split("Assistant: ", -1).length - 1, transcript);
        assertFalse(transcript.contains("never read"));
    }

    @Test
    void aMissingTemplateIsOneClearError() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        Path config = tmp.resolve("chat.yaml");
        Files.writeString(config, "model_name_or_path: " + modelDir + "\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new ChatCommand(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream())));
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(1, cl.execute(config.toString()));
        assertTrue(err.toString().startsWith("error: template: required"), err.toString());
    }

    private static String reply(LocalChatEngine engine, String... turns) {
        List<ChatMessage> messages = new java.util.ArrayList<>();
        for (int i = 0; i < turns.length; i++) messages.add(i % 2 == 0 ? ChatMessage.user(turns[i]) : ChatMessage.assistant(turns[i]));
        return engine.generate(new ChatRequest(messages, "Be brief.", SamplingParams.DEFAULTS, new Cancellation()), TokenListener.IGNORE).text();
    }
}
