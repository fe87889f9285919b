package io.jtune.io.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The JSON header of a safetensors file, parsed and checked against the size of the data section.
 *
 * <p>The format (huggingface/safetensors): 8 bytes little-endian header length N, N bytes of UTF-8
 * JSON (padded with spaces), then the data section. The JSON maps each tensor name to
 * {"dtype", "shape", "data_offsets": [begin, end]}, offsets relative to the data section; the
 * optional key "__metadata__" maps strings to strings. Every check here exists so that a damaged
 * file ends in a {@link SafetensorsException} instead of a wrong view or a crash: the tensors must
 * tile the data section exactly (no gap, no overlap, nothing past its end) and each tensor's byte
 * count must equal dtype size x product(shape).
 */
final class SafetensorsHeader {
    /** The same limit as the reference implementation: no real header comes near 100 MB. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor's header entry; offsets are relative to the data section. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private final Map<String, String> metadata;
    private final List<Entry> entries; // sorted by offset

    private SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {
        this.metadata = metadata;
        this.entries = entries;
    }

    /** Free-form string metadata ("__metadata__"), empty when absent. */
    Map<String, String> metadata() { return metadata; }

    /** The tensors in the order of their data. */
    List<Entry> entries() { return entries; }

    /**
     * Parses {@code headerBytes} (the N bytes after the length prefix) and checks the entries against
     * a data section of {@code dataBytes} bytes. {@code file} is only used in messages.
     */
    static SafetensorsHeader parse(byte[] headerBytes, long dataBytes, Path file) {
        String text = decodeUtf8(headerBytes, file);
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsException(file, "the header is not a JSON object (it must start with '{')");
        }
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JsonParser p = JSON.createParser(text)) {
            p.nextToken(); // START_OBJECT, checked above
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                JsonNode value = p.readValueAsTree();
                if (!seen.add(name)) {
                    throw new SafetensorsException(file, name, "the header names this tensor twice");
                }
                if (METADATA_KEY.equals(name)) {
                    metadata = parseMetadata(value, file);
                } else {
                    entries.add(parseEntry(name, value, file));
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new SafetensorsException(file, "the header has text after its JSON object");
            }
        } catch (JacksonException e) {
            throw new SafetensorsException(file, null, "the header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot read the header: " + e.getMessage(), e);
        }
        checkLayout(entries, dataBytes, file);
        return new SafetensorsHeader(metadata, Collections.unmodifiableList(entries));
    }

    private static String decodeUtf8(byte[] bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "the header is not valid UTF-8");
        }
    }

    private static Map<String, String> parseMetadata(JsonNode value, Path file) {
        if (value.isNull()) return Map.of(); // the reference reader treats null as no metadata
        if (!value.isObject()) {
            throw new SafetensorsException(file, "__metadata__ must be a JSON object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(file, "__metadata__ value of '" + e.getKey() + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry parseEntry(String name, JsonNode value, Path file) {
        if (!value.isObject()) {
            throw new SafetensorsException(file, name, "entry must be a JSON object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = value.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(file, name, "missing \"dtype\" string");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.textValue());
        if (dtype == null || !dtype.name().equals(dtypeNode.textValue())) {
            throw new SafetensorsException(file, name, "unsupported dtype \"" + dtypeNode.textValue()
                    + "\" (allowed: " + Arrays.stream(DType.values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
        }
        long[] shape = longArray(value.get("shape"), "shape", -1, name, file);
        long[] offsets = longArray(value.get("data_offsets"), "data_offsets", 2, name, file);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long bytes;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            bytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "shape " + StoredTensor.shapeString(shape) + " overflows 64 bits");
        }
        if (end - begin != bytes) {
            throw new SafetensorsException(file, name, "dtype " + dtype + " x shape " + StoredTensor.shapeString(shape)
                    + " needs " + bytes + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers; {@code length} -1 means any length. */
    private static long[] longArray(JsonNode node, String key, int length, String name, Path file) {
        String expected = "\"" + key + "\" must be an array of " + (length < 0 ? "" : length + " ") + "non-negative integers";
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new SafetensorsException(file, name, expected);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsException(file, name, expected + ", found " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** The tensors must tile [0, dataBytes) exactly, in offset order. */
    private static void checkLayout(List<Entry> entries, long dataBytes, Path file) {
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.end() > dataBytes) {
                throw new SafetensorsException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] reach past the end of the data section (" + dataBytes + " bytes): the file is truncated or the header is wrong");
            }
            if (e.begin() < expectedBegin) {
                throw new SafetensorsException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > expectedBegin) {
                throw new SafetensorsException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave a gap after byte " + expectedBegin + " (tensors must be contiguous)");
            }
            expectedBegin = e.end();
            previous = e;
        }
        if (expectedBegin != dataBytes) {
            throw new SafetensorsException(file, "the tensors cover " + expectedBegin + " bytes but the data section has "
                    + dataBytes + " (extra bytes at the end of the file)");
        }
    }
}
