package io.jtune.config;

/**
 * The keys of stage ppo: LLaMA-Factory's (ppo_*, reward_model*), and the TRL PPOConfig settings
 * LLaMA-Factory leaves at TRL's defaults, under TRL's names (init_kl_coef, horizon, gamma, lam,
 * cliprange, cliprange_value, vf_coef).
 *
 * @param rewardModel         a folder or hub id (lora, full) or a URL (api); null when not set
 * @param rewardModelAdapters an rm adapter over a full reward model, or null
 */
public record PpoArguments(
        int ppoBufferSize,
        int ppoEpochs,
        boolean ppoScoreNorm,
        double ppoTarget,
        boolean ppoWhitenRewards,
        double initKlCoef,
        double horizon,
        double gamma,
        double lam,
        double cliprange,
        double cliprangeValue,
        double vfCoef,
        String rewardModel,
        String rewardModelAdapters,
        String rewardModelType) {

    static PpoArguments from(JtuneConfig c) {
        return new PpoArguments(c.integer("ppo_buffer_size"), c.integer("ppo_epochs"), c.bool("ppo_score_norm"), c.real("ppo_target"),
                c.bool("ppo_whiten_rewards"), c.real("init_kl_coef"), c.real("horizon"), c.real("gamma"), c.real("lam"),
                c.real("cliprange"), c.real("cliprange_value"), c.real("vf_coef"), c.string("reward_model"),
                c.string("reward_model_adapters"), c.string("reward_model_type"));
    }
}
