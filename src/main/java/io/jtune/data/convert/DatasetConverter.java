package io.jtune.data.convert;

import io.jtune.JtuneException;
import io.jtune.data.AlignedExample;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.Row;

/**
 * Converts one row of a dataset's own format into the aligned format (LLaMA-Factory's
 * converter.py). A row of the wrong shape throws {@link InvalidRecordException}; the caller skips
 * and counts it.
 */
public interface DatasetConverter {

    AlignedExample convert(Row row);

    static DatasetConverter forAttr(DatasetAttr attr) {
        return switch (attr.formatting()) {
            case "alpaca" -> new AlpacaConverter(attr);
            case "sharegpt" -> new SharegptConverter(attr);
            case "openai" -> new OpenAIConverter(attr);
            default -> throw new JtuneException("Dataset '" + attr.name() + "': unknown formatting '"
                    + attr.formatting() + "'; allowed: alpaca, sharegpt, openai.");
        };
    }
}
