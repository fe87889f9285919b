package io.jtune.serve.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.infer.ChatResult;

/**
 * The response bodies of OpenAI's chat API, field for field: a model list, a chat.completion, a
 * chat.completion.chunk and an error. Fields OpenAI always sends as null (logprobs, refusal) are
 * sent too, since strict clients expect them present.
 */
final class OpenAiJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiJson() {}

    /** The model list: the base model (no parent) and each adapter (its parent: the base). */
    static byte[] modelList(String baseId, java.util.List<String> ids, long created) {
        ObjectNode root = JSON.createObjectNode().put("object", "list");
        var data = root.putArray("data");
        for (String id : ids) {
            modelNode(data.addObject(), id, id.equals(baseId) ? null : baseId, created);
        }
        return bytes(root);
    }

    /** One model object, as GET /v1/models/{id} answers and /v1/models lists; parent null for the base model. */
    static byte[] model(String modelId, String parent, long created) {
        return bytes(modelNode(JSON.createObjectNode(), modelId, parent, created));
    }

    /** OpenAI's model fields, plus vLLM's "parent" (the base an adapter sits over, null for the base itself). */
    private static ObjectNode modelNode(ObjectNode node, String modelId, String parent, long created) {
        node.put("id", modelId)
                .put("object", "model")
                .put("created", created)
                .put("owned_by", "owner");
        if (parent == null) {
            node.putNull("parent");
        } else {
            node.put("parent", parent);
        }
        return node;
    }

    static byte[] completion(String id, long created, String model, ChatResult result) {
        ObjectNode root = header(id, "chat.completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (!result.toolCalls().isEmpty() && result.text().isEmpty()) {
            message.putNull("content"); // OpenAI's shape for a reply that only calls tools
        } else {
            message.put("content", result.text());
        }
        message.putNull("refusal");
        if (!result.toolCalls().isEmpty()) {
            ToolCallsJson.put(message, result.toolCalls());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", result.finishReason().wireName());
        putUsage(root, result);
        return bytes(root);
    }

    /**
     * A streamed chunk: {@code role} and {@code content} go into the delta when not null; with
     * {@code nullUsage} (stream_options.include_usage) it carries "usage": null, as OpenAI's chunks
     * before the final usage chunk do.
     */
    static byte[] chunk(String id, long created, String model, String role, String content, String finishReason, boolean nullUsage) {
        ObjectNode root = header(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        if (content != null) {
            delta.put("content", content);
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (nullUsage) {
            root.putNull("usage");
        }
        return bytes(root);
    }

    /** A streamed chunk whose delta carries tool call {@code index}, whole (name and all the arguments). */
    static byte[] toolCallChunk(String id, long created, String model, int index, io.jtune.infer.ToolCall call, boolean nullUsage) {
        ObjectNode root = header(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        ToolCallsJson.putDelta(choice.putObject("delta"), index, call);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        if (nullUsage) {
            root.putNull("usage");
        }
        return bytes(root);
    }

    /** The last chunk when stream_options.include_usage is set: no choices, only usage (OpenAI's shape). */
    static byte[] usageChunk(String id, long created, String model, ChatResult result) {
        ObjectNode root = header(id, "chat.completion.chunk", created, model);
        root.putArray("choices");
        putUsage(root, result);
        return bytes(root);
    }

    static byte[] error(ApiError error) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode body = root.putObject("error")
                .put("message", error.getMessage())
                .put("type", error.type());
        if (error.param() == null) {
            body.putNull("param");
        } else {
            body.put("param", error.param());
        }
        if (error.code() == null) {
            body.putNull("code");
        } else {
            body.put("code", error.code());
        }
        return bytes(root);
    }

    private static ObjectNode header(String id, String object, long created, String model) {
        return JSON.createObjectNode()
                .put("id", id)
                .put("object", object)
                .put("created", created)
                .put("model", model);
    }

    private static void putUsage(ObjectNode root, ChatResult result) {
        root.putObject("usage")
                .put("prompt_tokens", result.promptTokens())
                .put("completion_tokens", result.completionTokens())
                .put("total_tokens", result.promptTokens() + result.completionTokens());
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }
}
