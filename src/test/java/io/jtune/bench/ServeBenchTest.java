package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** jtune bench serve on the tiny shape: every stream gets its tokens, steps are shared, the table has a row per stream count. */
class ServeBenchTest {
    @Test
    void measuresEachStreamCountOnTheTinyShape() throws Exception {
        List<ServeBench.Row> rows = ServeBench.measure(ServeBench.tiny(), new int[] {1, 4}, 16, 6, 2);
        assertEquals(2, rows.size());
        ServeBench.Row one = rows.get(0), four = rows.get(1);
        assertEquals(2 * 6, one.tokens());
        assertEquals(4 * 2 * 6, four.tokens());
        assertEquals(2 * 6, one.steps(), "one stream: a step per token (its prompt rides along with the first)");
        assertTrue(four.steps() < 4 * one.steps(), "four streams share steps: " + four.steps());
        assertTrue(one.ttftP50() > 0 && one.itlP95() >= one.itlP50());
        String table = ServeBench.table(rows);
        assertTrue(table.contains("total tok/s") && table.contains("1.00x"), table);
    }
}
