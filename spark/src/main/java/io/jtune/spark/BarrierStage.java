package io.jtune.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Runs one piece of work on N tasks that Spark starts together (barrier execution mode) and returns
 * each task's one-line answer in rank order. The stage is made a shuffle-map stage (its output goes
 * through a shuffle into one partition) because Spark retries a failed barrier stage as a whole only
 * then; a failed barrier result stage fails the job.
 */
final class BarrierStage {
    /** What each task runs; its rank is {@code ctx.partitionId()}. */
    interface Work extends Serializable {
        String run(BarrierTaskContext ctx) throws IOException;
    }

    private BarrierStage() {}

    static List<String> run(JavaSparkContext sc, int tasks, Work work) {
        RDD<Integer> ranks = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).rdd();
        ClassTag<String> tag = ClassTag$.MODULE$.apply(String.class);
        RDD<String> answers = ranks.barrier().mapPartitions(new Body(work), false, tag);
        List<String> rows = new ArrayList<>(JavaRDD.fromRDD(answers, tag).repartition(1).collect());
        rows.sort(Comparator.comparingInt(r -> Integer.parseInt(r.substring(0, r.indexOf('\t')))));
        return rows.stream().map(r -> r.substring(r.indexOf('\t') + 1)).toList();
    }

    /** The work as the Scala function a barrier RDD maps its partitions with: one line, tagged with the rank. */
    private record Body(Work work) implements Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>, Serializable {
        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            try {
                return CollectionConverters.asScala(List.of(ctx.partitionId() + "\t" + work.run(ctx)).iterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
