package io.jtune.io.gguf;

import io.jtune.JtuneException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key/value section of a GGUF file, in insertion order (the order it is written in). Typed
 * putters mirror gguf-py's GGUFWriter.add_* helpers; getters are for reading a file back.
 */
public final class GgufMetadata {
    private final Map<String, GgufValue> values = new LinkedHashMap<>();
    private final String source; // for error messages: a file name or "metadata"

    public GgufMetadata() {
        this("metadata");
    }

    GgufMetadata(String source) {
        this.source = source;
    }

    public GgufMetadata put(String key, GgufValue value) {
        values.put(key, value);
        return this;
    }

    public GgufMetadata putString(String key, String v) { return put(key, GgufValue.scalar(GgufValueType.STRING, v)); }
    public GgufMetadata putUint32(String key, long v) {
        if (v < 0 || v > 0xffff_ffffL) throw new IllegalArgumentException(key + ": " + v + " does not fit uint32");
        return put(key, GgufValue.scalar(GgufValueType.UINT32, v));
    }
    public GgufMetadata putInt32(String key, int v) { return put(key, GgufValue.scalar(GgufValueType.INT32, (long) v)); }
    public GgufMetadata putUint64(String key, long v) { return put(key, GgufValue.scalar(GgufValueType.UINT64, v)); }
    public GgufMetadata putFloat32(String key, double v) { return put(key, GgufValue.scalar(GgufValueType.FLOAT32, (double) (float) v)); }
    public GgufMetadata putFloat64(String key, double v) { return put(key, GgufValue.scalar(GgufValueType.FLOAT64, v)); }
    public GgufMetadata putBool(String key, boolean v) { return put(key, GgufValue.scalar(GgufValueType.BOOL, v)); }

    public GgufMetadata putStringArray(String key, List<String> v) { return put(key, GgufValue.array(GgufValueType.STRING, v)); }

    public GgufMetadata putInt32Array(String key, int[] v) {
        List<Long> list = new ArrayList<>(v.length);
        for (int x : v) list.add((long) x);
        return put(key, GgufValue.array(GgufValueType.INT32, list));
    }

    public GgufMetadata putFloat32Array(String key, float[] v) {
        List<Double> list = new ArrayList<>(v.length);
        for (float x : v) list.add((double) x);
        return put(key, GgufValue.array(GgufValueType.FLOAT32, list));
    }

    public Map<String, GgufValue> asMap() { return Collections.unmodifiableMap(values); }
    public boolean contains(String key) { return values.containsKey(key); }
    public int size() { return values.size(); }

    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) throw new JtuneException(source + ": metadata key '" + key + "' is missing");
        return v;
    }

    public String getString(String key) {
        return (String) expect(key, GgufValueType.STRING).value();
    }

    public long getLong(String key) {
        GgufValue v = get(key);
        if (!v.isInteger()) throw new JtuneException(source + ": metadata key '" + key + "' is " + v.type() + ", expected an integer");
        return (Long) v.value();
    }

    public double getDouble(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.FLOAT32 && v.type() != GgufValueType.FLOAT64) {
            throw new JtuneException(source + ": metadata key '" + key + "' is " + v.type() + ", expected a float");
        }
        return (Double) v.value();
    }

    public boolean getBool(String key) {
        return (Boolean) expect(key, GgufValueType.BOOL).value();
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringList(String key) {
        GgufValue v = expect(key, GgufValueType.ARRAY);
        if (v.elementType() != GgufValueType.STRING) throw new JtuneException(source + ": '" + key + "' is an array of " + v.elementType() + ", expected STRING");
        return (List<String>) v.list();
    }

    private GgufValue expect(String key, GgufValueType type) {
        GgufValue v = get(key);
        if (v.type() != type) throw new JtuneException(source + ": metadata key '" + key + "' is " + v.type() + ", expected " + type);
        return v;
    }
}
