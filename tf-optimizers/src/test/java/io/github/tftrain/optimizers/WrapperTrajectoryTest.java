package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.Objective;
import io.github.tftrain.optimizers.reference.ReferenceAdam;
import io.github.tftrain.optimizers.reference.ReferenceOptimizer;
import io.github.tftrain.optimizers.reference.ReferenceSgd;
import io.github.tftrain.optimizers.reference.ReferenceWrappers;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.op.Op;

/**
 * The base's wrappers (Lookahead, EMA, gradient accumulation) and per-variable groups around real optimizers,
 * against plain-Java references written from the definitions ({@link ReferenceWrappers}).
 */
class WrapperTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void adamWithLookahead(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.0);
    compareWrapped(
        "adam+lookahead", float64,
        g -> Adam.builder().lr(lr).weightDecay(0.01).lookahead(3, 0.5).build(g),
        x0 -> {
          ReferenceAdam adam = new ReferenceAdam(x0);
          adam.lr = lr::valueAt;
          adam.weightDecay = 0.01;
          return new ReferenceWrappers(adam, x0, 3, 0.5, 0);
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void adamWWithEma(boolean float64) {
    compareWrapped(
        "adamw+ema", float64,
        g -> AdamW.builder().lr(0.03).emaDecay(0.9).build(g),
        x0 -> {
          ReferenceAdam adam = new ReferenceAdam(x0);
          adam.lr = s -> 0.03;
          adam.decoupled = true;
          adam.weightDecay = 0.01;
          return new ReferenceWrappers(adam, x0, 0, 0.5, 0.9);
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void sgdWithLookaheadAndEma(boolean float64) {
    compareWrapped(
        "sgd+lookahead+ema", float64,
        g -> Sgd.builder().lr(0.05).momentum(0.9).lookahead(4, 0.8).emaDecay(0.95).build(g),
        x0 -> {
          ReferenceSgd sgd = new ReferenceSgd(x0);
          sgd.lr = s -> 0.05;
          sgd.momentum = 0.9;
          return new ReferenceWrappers(sgd, x0, 4, 0.8, 0.95);
        });
  }

  /** No weight decay on b and c (a regex group), decoupled decay on A only. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void groupWithoutWeightDecay(boolean float64) {
    Trajectories.compare(
        "adamw group", true, float64, STEPS,
        g -> AdamW.builder().lr(0.03).weightDecay(0.1).group(VariableGroup.of("b|c").with(
            CommonHyperparameters.WEIGHT_DECAY, 0.0)).build(g),
        x0 -> {
          ReferenceAdam adam = new ReferenceAdam(x0);
          adam.lr = s -> 0.03;
          adam.decoupled = true;
          adam.weightDecayOf = new double[] {0.1, 0, 0};
          return adam;
        });
  }

  /** Groups by rank, set from text as the CLI does; L2 decay only on the rank-2 A. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void rankGroupFromText(boolean float64) {
    Trajectories.compare(
        "adam rank group", false, float64, STEPS,
        g -> Adam.builder().lr(0.02).set("weightDecay", "0.05").set("group[rank<2].weightDecay", "0").build(g),
        x0 -> {
          ReferenceAdam adam = new ReferenceAdam(x0);
          adam.lr = s -> 0.02;
          adam.weightDecayOf = new double[] {0.05, 0, 0};
          return adam;
        });
  }

  /** weightDecayMode switches Adam to AdamW's decoupled decay. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void decoupledModeOnAdam(boolean float64) {
    Trajectories.compare(
        "adam decoupled", true, float64, STEPS,
        g -> Adam.builder().lr(0.02).weightDecay(0.2).set("weightDecayMode", "decoupled").build(g),
        x0 -> {
          ReferenceAdam adam = new ReferenceAdam(x0);
          adam.lr = s -> 0.02;
          adam.decoupled = true;
          adam.weightDecay = 0.2;
          return adam;
        });
  }

  /**
   * accumulate = 3: the variables move only on every third run of the train op, by one SGD-momentum step on the mean
   * of the three minibatches' gradients; the global step counts updates.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void accumulatedSgd(boolean float64) {
    int n = 3;
    int updates = 8;
    RegressionProblem problem = new RegressionProblem(n * updates, false);
    ReferenceSgd sgd = new ReferenceSgd(problem.initial);
    sgd.lr = s -> 0.05;
    sgd.momentum = 0.9;
    sgd.weightDecay = 0.01;
    Objective mean =
        (params, update) -> {
          double[][] sum = ReferenceOptimizer.zerosLike(params);
          double[] losses = new double[n];
          for (int i = 0; i < n; i++) {
            Objective.Evaluation e = problem.evaluate(params, update * n + i);
            losses[i] = e.mean();
            for (int v = 0; v < sum.length; v++) {
              for (int j = 0; j < sum[v].length; j++) {
                sum[v][j] += e.gradients[v][j] / n;
              }
            }
          }
          return new Objective.Evaluation(losses, sum, false);
        };
    double tol = Trajectories.tolerance(float64);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      Sgd optimizer = Sgd.builder().lr(0.05).momentum(0.9).weightDecay(0.01).accumulate(n).build(g.graph);
      Op train = optimizer.minimize(g.loss());
      for (int update = 0; update < updates; update++) {
        double[][] before = g.values();
        for (int i = 0; i < n; i++) {
          g.run(train, update * n + i, List.of());
          if (i < n - 1) {
            Trajectories.assertClose("between runs of update " + update, before, g.values(), 0.0);
          }
        }
        sgd.step(mean, update);
        Trajectories.assertClose("after update " + (update + 1), sgd.currentPoint(), g.values(), tol);
        assertEquals(update + 1, TensorValues.read(g.session(), optimizer.globalStep())[0], 0.0);
      }
    }
  }

  private static void compareWrapped(
      String label,
      boolean float64,
      Function<Graph, LossAwareOptimizer> factory,
      Function<double[][], ReferenceWrappers> reference) {
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    ReferenceWrappers ref = reference.apply(problem.initial);
    double tol = Trajectories.tolerance(float64);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      LossAwareOptimizer optimizer = factory.apply(g.graph);
      Op train = optimizer.minimize(g.loss());
      List<EvaluationWeight<?>> evaluation = optimizer.evaluationWeights();
      assertEquals(3, evaluation.size(), "every variable has evaluation weights");
      for (int step = 0; step < STEPS; step++) {
        g.run(train, step, List.of());
        ref.step(problem, step);
        Trajectories.assertClose(label + " after step " + (step + 1), ref.currentPoint(), g.values(), tol);
        double[][] fetched = new double[3][];
        for (int i = 0; i < 3; i++) {
          fetched[i] = TensorValues.read(g.session(), evaluation.get(i).value());
        }
        Trajectories.assertClose(
            label + " evaluation weights after step " + (step + 1), ref.evaluationPoint(), fetched, tol);
      }
    }
  }
}
