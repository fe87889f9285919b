package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** jtune bench decode-step on the tiny shape: a row per row count, positive times, ranges around the medians, the products' split. */
class DecodeStepBenchTest {
    @Test
    void timesTheStepAndItsProductsForEachRowCount() {
        List<DecodeStepBench.Row> rows = DecodeStepBench.measure(ServeBench.tiny(), new int[] {1, 3}, 8, 3);
        assertEquals(2, rows.size());
        for (DecodeStepBench.Row r : rows) {
            assertTrue(r.stepMs() > 0 && r.productsMs() > 0, r.toString());
            assertTrue(r.stepMinMs() <= r.stepMs() && r.stepMs() <= r.stepMaxMs(), r.toString());
            assertTrue(r.productsMinMs() <= r.productsMs() && r.productsMs() <= r.productsMaxMs(), r.toString());
            assertTrue(r.cachedProductsMs() > 0 && r.weightsReadMs() > 0, r.toString());
        }
        assertEquals(3, rows.get(1).rows());
        String table = DecodeStepBench.table(rows);
        assertTrue(table.contains("products ms") && table.contains("from cache ms") && table.contains("weights read ms")
                && table.lines().count() == 3, table);
        assertEquals(rows.get(0).weightsReadMs(), rows.get(1).weightsReadMs(), "one read time for the one set of weights");
    }
}
