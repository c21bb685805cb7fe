// The step-size control of Auto-PGD (Croce & Hein, "Reliable evaluation of adversarial robustness
// with an ensemble of diverse parameter-free attacks", ICML 2020, section 3.2): the checkpoint
// schedule and, per example, the rule that halves the step size at a checkpoint and sends the
// iterate back to the best point found. Pure bookkeeping on loss values, so it is tested on
// scripted loss sequences. Not here: the iteration itself, the losses or any tensor (the APGD
// attack in the in-tree attack plugins feeds this one value per step and example).

/// The checkpoints of an APGD run of `steps` steps: w_j = ceil(p_j * steps) with p_0 = 0,
/// p_1 = 0.22 and p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), for p_j <= 1.
public struct APGDSchedule: Sendable, Equatable {
    /// The number of gradient steps of the run.
    public let steps: Int
    /// The steps after which the step size is reviewed: strictly increasing, each in 1..<steps.
    /// Checkpoints that the rounding makes equal are kept once, and one at `steps` or later is
    /// dropped: no step is left for it to affect.
    public let checkpoints: [Int]

    /// The schedule for `steps` steps (at least 1).
    public init(steps: Int) {
        precondition(steps >= 1, "APGDSchedule: \(steps) steps")
        self.steps = steps
        // The fractions in hundredths, so the rounding up is exact (0.41 * 100 is 41, not 41.000001).
        var points: [Int] = []
        var previous = 0, current = 22
        while current <= 100 {
            let w = (current * steps + 99) / 100
            if w >= steps { break }
            if w > (points.last ?? 0) { points.append(w) }
            (previous, current) = (current, current + max(current - previous - 3, 6))
        }
        checkpoints = points
    }
}

/// One example's APGD step size. Fed the loss after every step, it keeps the best loss and, at
/// each checkpoint w_j of the schedule, halves the step size when
/// (1) the loss rose in fewer than rho * (w_j - w_{j-1}) of the steps since the previous
///     checkpoint, or
/// (2) the step size was not halved at the previous checkpoint and the best loss has not
///     improved since it.
/// After a halving the attack continues from the best point and its gradient. Condition (2)
/// cannot fire at the first checkpoint (there is no previous one), as in the reference code.
/// Condition (1) is the paper's strict "fewer than" (the reference code halves also at equality).
public struct APGDStepControl: Sendable {
    /// What the control decided after one step.
    public struct Outcome: Sendable, Equatable {
        /// The step's loss is the best so far (strictly higher than every earlier one): the attack
        /// keeps this point and its gradient as the best.
        public var isNewBest: Bool
        /// The step was a checkpoint at which the step size was halved: the attack continues
        /// from the best point with its gradient.
        public var halved: Bool
    }

    /// The checkpoints this control follows.
    public let schedule: APGDSchedule
    /// The fraction of steps in an interval in which the loss must rise to keep the step size.
    public let rho: Float
    /// The current step size (2 epsilon at the start, in the paper).
    public private(set) var stepSize: Float
    /// The highest loss seen so far (the start point's included).
    public private(set) var bestLoss: Float
    /// The step that reached `bestLoss` (0: the start point).
    public private(set) var bestStep = 0
    /// The number of steps recorded so far.
    public private(set) var step = 0
    /// The steps after which the step size was halved, in order.
    public private(set) var halvings: [Int] = []

    /// The loss of the current iterate, which the next step's loss is compared with.
    private var previousLoss: Float
    /// Steps since the last checkpoint in which the loss rose.
    private var increases = 0
    /// The last checkpoint passed (0 before the first).
    private var lastCheckpoint = 0
    /// The index in `schedule.checkpoints` of the next checkpoint.
    private var nextCheckpoint = 0
    /// Whether the step size was halved at the last checkpoint (true before the first, so that
    /// condition (2) needs a checkpoint to compare with).
    private var halvedAtLastCheckpoint = true
    /// `bestLoss` at the last checkpoint.
    private var bestAtLastCheckpoint: Float

    /// A control for a run following `schedule`, starting at step size `initialStepSize` from a
    /// point whose loss is `startLoss` (a NaN start counts as the lowest loss).
    public init(schedule: APGDSchedule, initialStepSize: Float, rho: Float, startLoss: Float) {
        self.schedule = schedule
        self.rho = rho
        stepSize = initialStepSize
        let start = startLoss.isNaN ? -Float.infinity : startLoss
        bestLoss = start
        previousLoss = start
        bestAtLastCheckpoint = start
    }

    /// Records the loss of the iterate the step just reached and says whether it is the best
    /// so far and whether the step size was halved (then continue from the best point).
    public mutating func record(loss: Float) -> Outcome {
        step += 1
        if loss > previousLoss { increases += 1 }
        previousLoss = loss
        let isNewBest = loss > bestLoss
        if isNewBest {
            bestLoss = loss
            bestStep = step
        }
        guard nextCheckpoint < schedule.checkpoints.count, step == schedule.checkpoints[nextCheckpoint] else {
            return Outcome(isNewBest: isNewBest, halved: false)
        }
        let interval = step - lastCheckpoint
        let oscillating = Float(increases) < rho * Float(interval)
        let stalled = !halvedAtLastCheckpoint && bestLoss <= bestAtLastCheckpoint
        let halve = oscillating || stalled
        if halve {
            stepSize /= 2
            halvings.append(step)
            // The iterate goes back to the best point, so the next step is compared with its loss.
            previousLoss = bestLoss
        }
        halvedAtLastCheckpoint = halve
        bestAtLastCheckpoint = bestLoss
        increases = 0
        lastCheckpoint = step
        nextCheckpoint += 1
        return Outcome(isNewBest: isNewBest, halved: halve)
    }
}
