"""Typed views of params.yaml: one pydantic model per section.

An unknown or ill-typed key fails before any work starts, with a message that names the key
and the allowed values or type.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from components import vocabulary
from components.key_vars import check_key_var

PARAMS_FILE = Path("params.yaml")


def one_of(kind: str, names: Iterable[str]):
    """A str type that only takes one of ``names`` (a registry's, from components.vocabulary); the error
    names the kind of thing and lists the names."""
    names = tuple(names)
    return Annotated[str, AfterValidator(lambda value: vocabulary.known(kind, value, names))]


Family = one_of("task family", vocabulary.FAMILIES)
Variant = one_of("answer variant", vocabulary.VARIANTS)
PipelineJudge = one_of("pipeline judge", vocabulary.PIPELINE_JUDGES)
ProbeName = one_of("probe", vocabulary.PROBES)
JudgeEngine = one_of("judge engine", vocabulary.JUDGE_ENGINES)
Ct2ComputeType = one_of("ct2 compute type", vocabulary.CT2_COMPUTE_TYPES)
AnswerStyle = one_of("answer style", vocabulary.ANSWER_STYLES)
TemplateName = one_of("template", vocabulary.TEMPLATE_OUTPUTS)
JudgeMode = one_of("judge mode", vocabulary.JUDGE_MODES)
TargetFormat = one_of("output format with a training target", vocabulary.TARGET_FORMATS)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaseModelParams(Section):
    kind: Literal["smollm2", "tiny", "path"] = "smollm2"
    path: str | None = None
    tiny_hidden_size: int = Field(64, ge=8)
    tiny_layers: int = Field(2, ge=1)
    seed: int = 0

    @model_validator(mode="after")
    def _path_given(self):
        if self.kind == "path" and not self.path:
            raise ValueError("base_model.kind=path needs base_model.path (a local folder with safetensors)")
        return self


class Decoding(Section):
    name: str
    temperature: float = Field(0.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)


class Split(Section):
    train: float = Field(0.7, gt=0)
    val: float = Field(0.1, ge=0)
    test: float = Field(0.2, gt=0)

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = self.train + self.val + self.test
        if abs(total - 1) > 1e-6:
            raise ValueError(f"generate.split must sum to 1, got {total:g}")
        return self


class OpenAITeacherParams(Section):
    """An OpenAI-compatible chat endpoint as the teacher (OpenAI, a vLLM server, ``judgeops serve``).

    ``api_key_env`` is the *name* of the environment variable holding the key (null: send no key, for
    local servers), so the key itself never lands in params.yaml, DVC, MLflow or the cache."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o"
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = Field(4, ge=1)
    max_retries: int = Field(4, ge=0)
    timeout_s: float = Field(60.0, gt=0)
    temperature: float = Field(0.0, ge=0)

    @field_validator("api_key_env")
    @classmethod
    def _a_name_not_a_key(cls, value: str | None) -> str | None:
        return check_key_var(value)  # a key variable's name, never the key, nor HOME or a cloud secret


class HFTeacherParams(Section):
    """A local causal LM as the teacher, prompted with JudgeLM's template and generating a reason."""

    path: str | None = None  # a local Hugging Face folder; null: the pipeline's base model
    max_new_tokens: int = Field(256, ge=1)
    batch_size: int = Field(8, ge=1)


Teacher = Literal["oracle", "openai", "hf", "dataset"]
LLM_TEACHERS = ("openai", "hf")


class AnswerEndpoint(Section):
    """An OpenAI-compatible chat endpoint that writes candidate answers (a hosted model, a vLLM or
    Ollama server). Like the teacher's, the key is read from the variable ``api_key_env`` names."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    base_url: str
    model: str
    api_key_env: str | None = None
    concurrency: int = Field(4, ge=1)
    max_retries: int = Field(4, ge=0)
    timeout_s: float = Field(60.0, gt=0)
    temperature: float = Field(0.7, ge=0)

    _a_name_not_a_key = field_validator("api_key_env")(OpenAITeacherParams._a_name_not_a_key.__func__)


class GenerateParams(Section):
    seed: int = 1234
    families: list[Family]
    questions_per_family: int = Field(12, ge=1)
    dedup_threshold: float = Field(0.9, gt=0, le=1)
    max_per_category: int | None = Field(None, ge=1)  # CritiqueLLM-style balancing (None: keep all)
    model_answers: bool = True
    # base-model answers for at most N train questions per family; val and test questions always get
    # them (None: every question). More questions cost little but their model answers cost seconds each.
    model_answer_train_questions: int | None = Field(None, ge=0)
    decodings: list[Decoding] = Field(default_factory=lambda: [Decoding(name="greedy")])
    answer_endpoints: list[AnswerEndpoint] = Field(default_factory=list)
    max_new_tokens: int = Field(40, ge=1)
    batch_size: int = Field(16, ge=1)
    variants: list[Variant]
    pairs_per_question: int = Field(4, ge=1)
    tie_share: float = Field(0.15, ge=0, le=1)
    teacher: Teacher = "oracle"
    openai: OpenAITeacherParams = Field(default_factory=OpenAITeacherParams)
    hf: HFTeacherParams = Field(default_factory=HFTeacherParams)
    dataset_path: str | None = None  # teacher=dataset: canonical pairs (JSONL) from `judgeops import`
    # teacher=dataset: pairs flagged with another score scale (`scale:1-5`, CritiqueLLM's human scores) are
    # refused, or with "rescale" mapped linearly onto 1-10 (verdicts unchanged): never trained as 1-10 scores
    dataset_scale: Literal["refuse", "rescale"] = "refuse"
    # questions from `judgeops import` (AlignBench's release, MT-Bench) instead of the task families;
    # openai/hf teachers only: the oracle grades with the families' own checks
    questions_from: str | None = None
    two_round: bool = False  # LLM teachers: CritiqueLLM's reference-free rewrite of every kept reason
    swap_filter: bool = True
    split: Split = Field(default_factory=Split)

    @model_validator(mode="after")
    def _teacher_settings(self):
        if self.teacher == "dataset" and not self.dataset_path:
            raise ValueError("generate.teacher=dataset needs generate.dataset_path (pairs from `judgeops import`)")
        if self.questions_from and self.teacher not in LLM_TEACHERS:
            raise ValueError(
                f"generate.questions_from needs an LLM teacher to grade answers to imported questions; teacher "
                f"{self.teacher!r} cannot (the oracle checks answers with the task families' own verifiers, the "
                f"dataset teacher only passes imported pairs through): use one of {', '.join(LLM_TEACHERS)}"
            )
        if self.two_round and self.teacher not in LLM_TEACHERS:
            raise ValueError(
                f"generate.two_round rewrites an LLM teacher's critiques; teacher {self.teacher!r} writes none "
                f"(use one of: {', '.join(LLM_TEACHERS)})"
            )
        return self


class ValidateParams(Section):
    max_tie_share: float = Field(0.45, ge=0, le=1)
    min_class_share: float = Field(0.1, ge=0, le=1)
    max_parse_failure_rate: float = Field(0.0, ge=0, le=1)
    min_teacher_consistency: float = Field(0.95, ge=0, le=1)
    max_text_chars: int = Field(4000, ge=1)
    min_sources_per_question: int = Field(2, ge=1)
    # the gate on teacher scores: the judges' scale (vocabulary.SCORE_RANGE), or a narrower range within it
    min_score: float = vocabulary.SCORE_RANGE[0]
    max_score: float = vocabulary.SCORE_RANGE[1]

    @model_validator(mode="after")
    def _score_bounds(self):
        low, high = vocabulary.SCORE_RANGE
        if self.min_score > self.max_score:
            raise ValueError(f"validate.min_score {self.min_score:g} exceeds max_score {self.max_score:g}")
        if not (low <= self.min_score and self.max_score <= high):
            raise ValueError(
                f"validate.min_score and max_score must lie within the judges' scale {low:g}-{high:g}, "
                f"got {self.min_score:g}-{self.max_score:g}: no parser reads a score outside it"
            )
        return self


class FinetuneParams(Section):
    method: Literal["lora", "full"] = "lora"
    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"
    lora_layers: int | None = Field(None, ge=1)  # adapt only the top N decoder layers (None: all)
    output_format: TargetFormat = "judgelm"
    template: TemplateName = "judgeops"
    max_steps: int = Field(90, ge=1)
    schedule_steps: int | None = Field(None, ge=1)  # where the linear decay reaches zero (None: max_steps)
    batch_size: int = Field(8, ge=1)
    learning_rate: float = Field(3e-4, gt=0)
    warmup_steps: int = Field(5, ge=0)
    score_loss_weight: float = Field(1.0, ge=1.0)  # the score line's tokens count this many times in the loss
    target: Literal["judgment", "score_line"] = "judgment"  # score_line: train on the first line alone
    both_orders: bool = False  # every pair in both orders, side by side in one batch (swap_prob unused)
    frozen_cache: bool = False  # with lora_layers: the frozen layers below run once per example, not every step
    pack_questions: bool = False  # a question's shared prompt trained once per batch (components/training/packing.py)
    swap_prob: float = Field(0.5, ge=0, le=1)
    reference_drop: float = Field(0.3, ge=0, le=1)
    bf16: Literal["auto", True, False] = "auto"
    checkpoint_every: int = Field(30, ge=1)
    eval_every: int = Field(30, ge=1)
    eval_items: int = Field(32, ge=1)
    seed: int = 7
    # accelerate: `judgeops finetune` runs itself under `accelerate launch` (components/training/launch.py)
    launcher: Literal["single", "accelerate"] = "single"
    num_processes: int = Field(1, ge=1)
    accelerate_config: str | None = None  # a launch config file (configs/accelerate/*.yaml); null: data parallel

    @model_validator(mode="after")
    def _processes_need_a_launcher(self):
        if self.launcher == "single" and (self.num_processes > 1 or self.accelerate_config):
            raise ValueError(
                "finetune.num_processes > 1 and finetune.accelerate_config need finetune.launcher: accelerate "
                "(launcher single trains in this one process)"
            )
        return self

    @model_validator(mode="after")
    def _schedule_covers_the_run(self):
        if self.schedule_steps is not None and self.schedule_steps < self.max_steps:
            raise ValueError(
                f"finetune.schedule_steps {self.schedule_steps} is below max_steps {self.max_steps}: the learning "
                "rate would reach zero before the last step (set it to max_steps or more, or null for max_steps)"
            )
        return self

    @field_validator("template")
    @classmethod
    def _template_writes_output_format(cls, template: str, info: ValidationInfo) -> str:
        """A judge trained on one output format but prompted with a template that asks for another
        would be read by the wrong parser: every template names the format it asks for. (Checked on
        ``template`` because ``output_format`` is validated before it.)"""
        asks_for = vocabulary.TEMPLATE_OUTPUTS[template]
        output_format = info.data.get("output_format")
        if output_format is not None and asks_for != output_format:
            raise ValueError(
                f"finetune.template {template!r} asks for {asks_for!r} output but finetune.output_format is "
                f"{output_format!r}; templates per format: {_templates_by_format()}"
            )
        return template


def _templates_by_format() -> str:
    outputs = vocabulary.TEMPLATE_OUTPUTS
    return "; ".join(
        f"{fmt}: {', '.join(sorted(name for name, output in outputs.items() if output == fmt))}"
        for fmt in vocabulary.TARGET_FORMATS
    )


class JudgeParams(Section):
    """How the pipeline's judges run. ``mode``: score_first decodes the score line, logprob reads it from
    next-token probabilities (a judgment whose valid tokens get less than ``min_score_mass`` fails),
    generate writes the reason too. ``dask_workers`` > 0 shards the judge stage's judging over that many
    Dask workers (components/judges/shards.py): a local cluster of worker processes, or the scheduler at
    ``dask_address``; 0 judges in one process."""

    mode: JudgeMode = "score_first"
    batch_size: int = Field(16, ge=1)
    max_new_tokens: int = Field(64, ge=1)
    with_reference: bool = True
    max_prompt_tokens: int = Field(1024, ge=64)
    min_score_mass: float = Field(0.05, ge=0, le=1)
    # ct2: logprob mode on the judge converted to CTranslate2 (int8 by default); torch is the reference path
    engine: JudgeEngine = "torch"
    ct2_compute_type: Ct2ComputeType = "int8"
    dask_workers: int = Field(0, ge=0)
    dask_address: str | None = None
    # swap_average: also report verdicts from both orders' averaged scores, beside the raw ones
    calibration: Literal["none", "swap_average"] = "none"
    # human-labelled pairs files (`judgeops import pandalm ...`): both judges judge them and the report
    # states agreement with the human majority; at most human_eval_max_pairs of each, spread evenly
    human_eval: list[str] = Field(default_factory=list)
    human_eval_max_pairs: int | None = Field(200, ge=1)

    @model_validator(mode="after")
    def _address_needs_workers(self):
        if self.dask_address and self.dask_workers == 0:
            raise ValueError("judge.dask_address needs judge.dask_workers > 0 (how many shards to send it)")
        if self.engine == "ct2" and self.mode != "logprob":
            raise ValueError(f"judge.engine ct2 reads score lines in logprob mode only, not mode {self.mode!r}")
        return self


class AuditParams(Section):
    """Which bias probes run and where each one flags (components/audit; thresholds are rates in 0..1)."""

    probes: list[ProbeName] = Field(default_factory=lambda: ["position"])
    judges: list[PipelineJudge] = Field(default_factory=lambda: ["finetuned", "base"], min_length=1)
    max_items: int | None = Field(None, ge=1)  # None: every pair; fewer: spread across families
    bootstrap: int = Field(1000, ge=0)
    seed: int = 11
    flag_consistency_below: float = Field(0.8, ge=0, le=1)
    flag_knowledge_gap_above: float = Field(0.1, ge=-1, le=1)
    format_templates: list[TemplateName] = Field(default_factory=lambda: ["judgelm", "mtbench_pair"])
    format_styles: list[AnswerStyle] = Field(default_factory=lambda: ["markdown", "plain", "bullets", "prose"])
    flag_format_flip_above: float = Field(0.1, ge=0, le=1)
    flag_verbosity_above: float = Field(0.1, ge=0, le=1)
    injection_variants_per_pair: int = Field(1, ge=1, le=12)
    flag_injection_above: float = Field(0.05, ge=0, le=1)
    self_sources: list[str] | None = None  # None: the judge's own family where known (components/audit/family.py)
    flag_self_enhancement_above: float = Field(0.1, ge=-1, le=1)
    evalbiasbench: str | None = None  # a `judgeops import evalbiasbench` file: the evalbiasbench probe's pairs
    flag_evalbiasbench_below: float = Field(0.5, ge=0, le=1)


class ReportParams(Section):
    bootstrap: int = Field(1000, ge=0)
    seed: int = 13
    # How much lower a candidate's test agreement may be, at the low end of the paired 95% CI of
    # (candidate - champion), and still take the title (components/champion.py).
    promotion_margin: float = Field(0.02, ge=0, le=1)


class Params(Section):
    base_model: BaseModelParams = Field(default_factory=BaseModelParams)
    generate: GenerateParams
    validate_: ValidateParams = Field(default_factory=ValidateParams, alias="validate")
    finetune: FinetuneParams = Field(default_factory=FinetuneParams)
    judge: JudgeParams = Field(default_factory=JudgeParams)
    audit: AuditParams = Field(default_factory=AuditParams)
    report: ReportParams = Field(default_factory=ReportParams)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ConfigError(ValueError):
    """params.yaml is wrong; the message names every bad key."""


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: run judgeops from the project root") from None
    return parse_params(load_yaml(text, path) or {}, source=str(path))


def load_yaml(text: str, source: Path | str):
    """``yaml.safe_load(text)``; a syntax error is a ConfigError on one line naming the file, line and column."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from None


def yaml_error(source: Path | str, exc: Exception) -> ConfigError:
    """One line for a YAML syntax error from PyYAML or ruamel.yaml: file:line:column and the problem."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(source)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return ConfigError(f"{where}: YAML syntax error: {problem}" + (f" ({context})" if context else ""))


def parse_params(raw: dict, source: str = "params.yaml") -> Params:
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(_explain(e) for e in exc.errors())) from None


def _explain(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]).replace("validate_", "validate")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(error["loc"][:-1])
        return f"  {key}: unknown key; allowed keys here: {', '.join(allowed)}"
    message = error["msg"].removeprefix("Value error, ")
    return f"  {key}: {message} (got {error.get('input')!r})"


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = Params
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part) or model.model_fields.get(f"{part}_")
        annotation = info.annotation if info else None
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [info.alias or name for name, info in model.model_fields.items()]
