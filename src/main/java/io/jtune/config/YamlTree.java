package io.jtune.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.StreamEndEvent;
import org.yaml.snakeyaml.events.StreamStartEvent;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

/**
 * Reads a YAML config into a tree as PyYAML's safe_load does, where Jackson's own tree reader does
 * not: an alias ({@code *name}) is the value its anchor ({@code &name}) names rather than the text
 * "name", {@code <<: *base} merges a mapping (keys written beside it win), and a second document is
 * an error rather than silently dropped. Aliases are expanded into copies, so the expansion is bounded
 * ({@link #MAX_NODES}) against "billion laughs" files. Scalars are typed as Jackson types them.
 *
 * <p>Jackson's YAML parser reports aliases but loses the anchors of scalars, so SnakeYAML's event
 * parser (the one under Jackson's) reads the same text in step, for the anchors and the documents.
 */
final class YamlTree {
    /** Values in one config after aliases are expanded; real configs have well under a thousand. */
    static final int MAX_NODES = 100_000;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The tree, and the line of each top-level key. */
    record Result(JsonNode root, Map<String, Integer> keyLines) {}

    /** A syntax or structure error at a place in the text. */
    static final class Invalid extends Exception {
        final JsonLocation location;

        Invalid(String message, JsonLocation location) {
            super(message);
            this.location = location;
        }
    }

    private final YAMLParser parser;
    private final ParserImpl events;
    private int documents;
    private final Map<String, Anchored> anchors = new HashMap<>();
    private final Map<String, Integer> keyLines = new LinkedHashMap<>();
    private long nodes;

    private record Anchored(JsonNode node, long size) {}

    private YamlTree(YAMLParser parser, ParserImpl events) {
        this.parser = parser;
        this.events = events;
    }

    static Result read(YAMLFactory factory, String text) throws IOException, Invalid {
        try (YAMLParser p = (YAMLParser) factory.createParser(text)) {
            YamlTree tree = new YamlTree(p, new ParserImpl(new StreamReader(text), new LoaderOptions()));
            JsonToken first = p.nextToken();
            if (first == null) return new Result(null, Map.of());
            JsonNode root = tree.value(0);
            tree.expectEnd();
            return new Result(root, tree.keyLines);
        } catch (YAMLException e) {
            throw new Invalid("syntax error: " + e.getMessage().lines().findFirst().orElse("unreadable"), null);
        }
    }

    /** The next event that is part of a value (a document's start and end are checked and skipped). */
    private Event nextNodeEvent() throws Invalid {
        while (true) {
            Event e = events.getEvent();
            if (e instanceof DocumentStartEvent) {
                if (++documents > 1) throw anotherDocument(e);
            } else if (!(e instanceof StreamStartEvent || e instanceof DocumentEndEvent)) {
                return e;
            }
        }
    }

    private void expectEnd() throws Invalid {
        for (Event e = events.getEvent(); !(e instanceof StreamEndEvent); e = events.getEvent()) {
            if (e instanceof DocumentStartEvent) throw anotherDocument(e);
        }
    }

    /** PyYAML's safe_load: "expected a single document in the stream, but found another document". */
    private static Invalid anotherDocument(Event e) {
        return new Invalid("expected a single document in the stream, but found another document (---);"
                + " a config is one document", location(e.getStartMark()));
    }

    private static JsonLocation location(Mark m) {
        return new JsonLocation(com.fasterxml.jackson.core.io.ContentReference.unknown(), -1, m.getLine() + 1, m.getColumn() + 1);
    }

    /** The value at the current token (its first token), leaving the parser on its last token. */
    private JsonNode value(int depth) throws IOException, Invalid {
        JsonToken t = parser.currentToken();
        Event event = nextNodeEvent();
        if (parser.isCurrentAlias() || event instanceof AliasEvent) {
            String name = event instanceof AliasEvent a ? a.getAnchor() : parser.getText();
            Anchored a = anchors.get(name);
            if (a == null) throw new Invalid("found undefined alias *" + name, parser.currentTokenLocation());
            count(a.size());
            return a.node().deepCopy();
        }
        String anchor = event instanceof NodeEvent n ? n.getAnchor() : null;
        long before = nodes;
        JsonNode node = switch (t) {
            case START_OBJECT -> mapping(depth);
            case START_ARRAY -> sequence(depth);
            default -> scalar(t);
        };
        if (anchor != null) anchors.put(anchor, new Anchored(node, nodes - before));
        return node;
    }

    private void count(long n) throws Invalid {
        nodes += n;
        if (nodes > MAX_NODES) {
            throw new Invalid("more than " + MAX_NODES + " values once aliases are expanded; a config this large is a"
                    + " mistake (or a \"billion laughs\" file)", parser.currentTokenLocation());
        }
    }

    private ObjectNode mapping(int depth) throws IOException, Invalid {
        count(1);
        ObjectNode explicit = NODES.objectNode();
        List<ObjectNode> merged = new ArrayList<>();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
            nextNodeEvent(); // the key's scalar
            String key = parser.currentName();
            JsonLocation at = parser.currentTokenLocation();
            parser.nextToken();
            boolean alias = parser.isCurrentAlias();
            JsonNode v = value(depth + 1);
            if (key.equals("<<") && (alias || v.isObject() || v.isArray())) {
                if (v.isObject()) {
                    merged.add((ObjectNode) v);
                    continue;
                }
                if (v.isArray() && allObjects(v)) {
                    v.forEach(m -> merged.add((ObjectNode) m));
                    continue;
                }
                throw new Invalid("a merge key (<<) takes a mapping or a list of mappings", at);
            }
            if (explicit.has(key)) throw new Invalid("Duplicate field '" + key + "'", at);
            explicit.set(key, v);
            if (depth == 0) keyLines.putIfAbsent(key, at.getLineNr());
        }
        nextNodeEvent(); // the mapping's end
        if (merged.isEmpty()) return explicit;
        // PyYAML: merged keys first (an earlier merge wins over a later one), then the explicit keys over them
        ObjectNode out = NODES.objectNode();
        for (ObjectNode m : merged) {
            m.properties().forEach(e -> {
                if (!out.has(e.getKey())) out.set(e.getKey(), e.getValue());
            });
        }
        out.setAll(explicit);
        return out;
    }

    private static boolean allObjects(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isObject()) return false;
        }
        return true;
    }

    private ArrayNode sequence(int depth) throws IOException, Invalid {
        count(1);
        ArrayNode out = NODES.arrayNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) out.add(value(depth + 1));
        nextNodeEvent(); // the sequence's end
        return out;
    }

    private JsonNode scalar(JsonToken t) throws IOException, Invalid {
        count(1);
        return switch (t) {
            case VALUE_NULL -> NODES.nullNode();
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> NODES.numberNode(parser.getIntValue());
                case LONG -> NODES.numberNode(parser.getLongValue());
                default -> NODES.numberNode(parser.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> parser.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
                    ? NODES.numberNode(parser.getDecimalValue()) : NODES.numberNode(parser.getDoubleValue());
            case VALUE_EMBEDDED_OBJECT -> parser.getEmbeddedObject() instanceof byte[] b ? NODES.binaryNode(b)
                    : NODES.pojoNode(parser.getEmbeddedObject());
            default -> throw new Invalid("unexpected " + t, parser.currentTokenLocation());
        };
    }
}
