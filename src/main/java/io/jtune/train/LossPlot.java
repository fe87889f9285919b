package io.jtune.train;

import io.jtune.util.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * training_loss.png, training_eval_loss.png, ... as LLaMA-Factory's plot_loss draws them from
 * log_history: the raw curve faint, an EMA-smoothed curve over it, 640x480 like matplotlib's default
 * figure at dpi 100.
 */
public final class LossPlot {
    private static final Color BLUE = new Color(0x1f, 0x77, 0xb4);

    private LossPlot() {}

    /** What plotting produced: the images written and the keys that had nothing to plot. */
    public record Result(List<Path> written, List<String> missingKeys) {}

    /**
     * LLaMA-Factory's smooth(): TensorBoard-style EMA whose weight grows with the number of points,
     * weight = 1.8 x (sigmoid(0.05 n) - 0.5), so short curves are barely smoothed.
     */
    public static List<Double> smooth(List<Double> values) {
        List<Double> smoothed = new ArrayList<>(values.size());
        if (values.isEmpty()) {
            return smoothed;
        }
        double weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.size())) - 0.5);
        double last = values.get(0);
        for (double v : values) {
            last = last * weight + (1 - weight) * v;
            smoothed.add(last);
        }
        return smoothed;
    }

    /**
     * Plots each key found in log_history into outputDir/training_{key}.png ("/" in a key becomes "_").
     * A key logged once (a single final evaluation) is not plotted: one point draws no line, only an
     * empty chart; it is reported with the keys that had nothing to plot.
     */
    public static Result plot(Path outputDir, List<? extends Map<String, ?>> logHistory, List<String> keys) throws IOException {
        System.setProperty("java.awt.headless", "true"); // a training server has no display
        List<Path> written = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            List<Double> steps = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (Map<String, ?> entry : logHistory) {
                if (entry.get(key) instanceof Number v && entry.get("step") instanceof Number step) {
                    steps.add(step.doubleValue());
                    values.add(v.doubleValue());
                }
            }
            if (values.size() < 2) {
                missing.add(key);
                continue;
            }
            Path file = outputDir.resolve("training_" + key.replace("/", "_") + ".png");
            byte[] png = BitmapEncoder.getBitmapBytes(chart(key, outputDir, steps, values), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.writeBytes(file, png);
            written.add(file);
        }
        return new Result(written, missing);
    }

    private static XYChart chart(String key, Path outputDir, List<Double> steps, List<Double> values) {
        XYChart chart = new XYChartBuilder().width(640).height(480)
                .title("training " + key + " of " + outputDir).xAxisTitle("step").yAxisTitle(key).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        XYSeries original = chart.addSeries("original", steps, values);
        original.setMarker(SeriesMarkers.NONE);
        original.setLineColor(new Color(BLUE.getRed(), BLUE.getGreen(), BLUE.getBlue(), 102)); // alpha 0.4
        original.setLineStyle(new BasicStroke(1.5f));
        XYSeries smoothed = chart.addSeries("smoothed", steps, smooth(values));
        smoothed.setMarker(SeriesMarkers.NONE);
        smoothed.setLineColor(BLUE);
        smoothed.setLineStyle(new BasicStroke(1.5f));
        return chart;
    }
}
