package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, Measure.median(new double[] {9, 1, 3}));
        assertEquals(2.5, Measure.median(new double[] {4, 1, 2, 3}));
    }

    @Test
    void tableAlignsNumbersRightAndTextLeft() {
        TextTable t = new TextTable("name", "GFLOP/s").numeric(1);
        t.add("a", "1.5");
        t.add("longer", "100.0");
        String[] lines = t.render().split("\n");
        assertEquals("name    GFLOP/s", lines[0]);
        assertEquals("------  -------", lines[1]);
        assertEquals("a           1.5", lines[2]);
        assertEquals("longer    100.0", lines[3]);
    }

    @Test
    void transformerCasesCoverTheThreeProductsOfEachLayer() {
        List<GemmCase> cases = GemmBench.transformerCases(512);
        assertTrue(cases.contains(new GemmCase("mlp.gate/up", GemmCase.Product.FORWARD, 512, 896, 4864, DType.BF16)));
        assertTrue(cases.contains(new GemmCase("mlp.down", GemmCase.Product.INPUT_GRAD, 512, 4864, 896, DType.F32)));
        assertTrue(cases.contains(new GemmCase("attn.q/o", GemmCase.Product.WEIGHT_GRAD, 512, 896, 896, DType.F32)));
        GemmCase up = cases.get(cases.indexOf(new GemmCase("mlp.gate/up", GemmCase.Product.FORWARD, 512, 896, 4864, DType.F32)));
        assertEquals("512x896x4864", up.shape());
        assertEquals(2.0 * 512 * 896 * 4864, up.flops());
    }

    /** Qwen2.5-0.5B at 512 tokens, counted by hand from the architecture. */
    @Test
    void loraStepFlopsOfQwen() {
        var config = LoraStepSetup.architecture("qwen2.5-0.5b");
        double linearPerLayer = 896.0 * 896 + 2 * 896.0 * 128 + 896.0 * 896 + 3 * 896.0 * 4864;
        double loraPerLayer = 8.0 * ((896 + 896) * 2 + (896 + 128) * 2 + (896 + 4864) * 3);
        double expected = 4 * 512.0 * (24 * linearPerLayer + 151936.0 * 896)
                + 12 * 512.0 * 512 * 896 * 24
                + 6 * 512.0 * 24 * loraPerLayer;
        assertEquals(expected, StepFlops.loraStep(config, 512, 8), expected * 1e-12);
        assertEquals(1.093e12, expected, 0.001e12);
    }

    @Test
    void missingPythonIsAProblemLineNotAnException() {
        ScriptRun run = ScriptRun.run("/nonexistent/python3", GemmComparison.SCRIPT, List.of(), Map.of(), "[]", 10);
        assertFalse(run.ok());
        assertTrue(run.problem.contains("apt-get install"), run.problem);
    }

    @Test
    void comparisonWithoutOpenBlasLeavesTheColumnOut() {
        var settings = new GemmComparison.Settings(1, 0, Clock.WALL, 16, new int[] {1, 2}, false, "/usr/bin/python3");
        List<GemmCase> cases = List.of(new GemmCase("lora.A", GemmCase.Product.FORWARD, 16, 40, 8, DType.F32));
        GemmComparison c = new GemmComparison(settings).run(cases, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        assertEquals(2, c.rows().size());
        assertNull(c.rows().get(0).ratio());
        assertTrue(c.rows().get(0).jtune().gflops() > 0);
        String table = c.table();
        assertTrue(table.contains("OpenBLAS column left out: not run (--no-openblas)"), table);
        var json = c.json();
        assertEquals(2, json.get("results").size());
        assertTrue(json.get("results").get(0).get("openblas_gflops").isNull());
        assertFalse(json.get("openblas").get("available").asBoolean());
    }
}
