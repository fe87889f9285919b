package io.jtune.data;

/**
 * A record's content cannot be formatted (e.g. its tools column is not valid JSON). The data
 * path catches it, skips the record and counts the reason; it never stops a whole run.
 */
public class InvalidRecordException extends RuntimeException {
    private final String reason;

    /**
     * @param reason a short, stable reason used to group skipped records ("tools is not valid JSON")
     * @param detail what exactly was wrong in this record
     */
    public InvalidRecordException(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
