package io.jtune.io.gguf;

import java.util.List;
import java.util.Objects;

/**
 * One typed metadata value. Integers of every width are held as {@code Long} (a uint64 above
 * Long.MAX_VALUE keeps its bits), FLOAT32/FLOAT64 as {@code Double}, BOOL as {@code Boolean},
 * STRING as {@code String}, and ARRAY as a {@code List} of such values, all of {@code elementType}.
 *
 * @param elementType the type of the array's elements; null unless type is ARRAY
 */
public record GgufValue(GgufValueType type, Object value, GgufValueType elementType) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("elementType is required for arrays and only for arrays");
        }
        if (elementType == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("nested arrays are not supported");
        }
    }

    public static GgufValue scalar(GgufValueType type, Object value) {
        return new GgufValue(type, value, null);
    }

    public static GgufValue array(GgufValueType elementType, List<?> values) {
        return new GgufValue(GgufValueType.ARRAY, List.copyOf(values), elementType);
    }

    /** The array's elements (this value must be an ARRAY). */
    public List<?> list() {
        if (type != GgufValueType.ARRAY) throw new IllegalStateException("not an array: " + type);
        return (List<?>) value;
    }

    public boolean isInteger() {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }
}
