#include "bench/cli/config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "bench/cli/config_flags.h"
#include "bench/cli/measure_flags.h"
#include "bench/cli/mooncake_flags.h"
#include "bench/cli/time_budget.h"
#include "bench/report/report_writers.h"
#include "bench/run/schedule.h"
#include "common/enum_names.h"
#include "common/launcher_env.h"
#include "common/shown_value.h"
#include "common/version.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

constexpr EnumName<Workload> kWorkloads[] = {{Workload::kRead, "read"}, {Workload::kWrite, "write"}, {Workload::kMix, "mix"}};

// A CLI11 option that takes a size with units ("64K", "1GiB") and names itself in errors.
void addSizeOption(CLI::App& app, const std::string& names, std::function<void(uint64_t)> set, const std::string& help) {
  const std::string flag = names.substr(0, names.find(','));
  app.add_option_function<std::string>(
         names,
         [set, flag](const std::string& text) {
           Result<uint64_t> v = parseSize(text);
           if (!v.isOk() || *v == 0) {
             throw CLI::ValidationError(flagValue(flag, text) + ": allowed " + allowedValues(flag));
           }
           set(*v);
         },
         help)
      ->type_name("SIZE");
}

std::string defaultText(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
template <typename T>
std::string defaultText(T v) { return std::to_string(v); }

// The number a flag's field holds: T, or T in a std::optional<T> (a flag without a default).
template <typename T>
struct NumberOf { using type = T; };
template <typename T>
struct NumberOf<std::optional<T>> { using type = T; };

// A numeric option: the value is parsed strictly and checked against the flag's range in
// config_flags.cc; anything else is one line naming the flag, the value and the range.
CLI::Option* addNumber(CLI::App& app, const std::string& names, std::function<void(long double)> set,
                       const std::string& help) {
  const std::string flag = names.substr(0, names.find(','));
  const NumberRange* range = numberRange(flag);
  auto* opt = app.add_option_function<std::string>(
      names,
      [set, flag](const std::string& text) {
        Result<long double> v = parseNumber(flag, text);
        if (!v.isOk()) throw CLI::ValidationError(v.status().message());
        set(*v);
      },
      help + " [" + allowedText(*range) + "]");
  opt->type_name(range->integer ? "INT" : "NUMBER");
  return opt;
}
template <typename T>
CLI::Option* addNumber(CLI::App& app, const std::string& names, T* target, const std::string& help) {
  return addNumber(app, names, [target](long double v) { *target = static_cast<typename NumberOf<T>::type>(v); }, help);
}
template <typename T>
CLI::Option* addNumberWithDefault(CLI::App& app, const std::string& names, T* target, const std::string& help) {
  return addNumber(app, names, target, help)->default_str(defaultText(*target));
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }


// The strings the flags collect before they become typed fields of BenchConfig.
struct FlagStrings {
  std::string operation = "write", report_unit = "GB", log_level, block_sizes = "64K", pairs, expect;
  std::optional<double> bootstrap_timeout;  // default: --timeout
  std::optional<std::string> duration;       // as given: seconds or auto
  std::optional<double> min_duration, max_duration, precision;  // --duration auto's
  std::string mode = "exact";
  bool schedule_given = false, mode_given = false;
  std::optional<std::string> time_budget;
  bool no_retest = false;
  std::string memory, initiator, target, gpu = "auto";
  std::map<std::string, std::string> transport_choices;  // by flag: the word given (or the default's)
  MeasureFlags measure;
};

// "--operation copy: allowed read, write, mix".
Status refused(const std::string& flag, const std::string& text) {
  return invalidArgument(flagValue(flag, text) + ": allowed " + allowedValues(flag));
}

// A transport's word flags (--ucx-alloc on): one of its choices, else refused.
Status finishTransportChoices(BenchConfig* c, const FlagStrings& f) {
  for (const auto& t : engine::registeredTransports()) {
    for (const engine::TransportOption& o : t.descriptor().options) {
      if (o.kind != engine::TransportOption::Kind::kChoice) continue;
      const std::string& text = f.transport_choices.at(o.flag);
      if (std::find(o.choices.begin(), o.choices.end(), text) == o.choices.end()) return refused(o.flag, text);
      o.set(c->transport_config, text);
    }
  }
  return Status::ok();
}

Status parseMemoryKind(const std::string& flag, const std::string& text, engine::MemoryKind* out) {
  return engine::parseMemoryKind(text, out) ? Status::ok() : refused(flag, text);
}

Status finishMemory(BenchConfig* c, const FlagStrings& m) {
  engine::MemoryKind both = engine::MemoryKind::kDram;
  if (!m.memory.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--memory", m.memory, &both));
  c->initiator_memory = c->target_memory = both;
  TE_RETURN_IF_ERROR(finishTransportChoices(c, m));
  if (!m.initiator.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--initiator-memory", m.initiator, &c->initiator_memory));
  if (!m.target.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--target-memory", m.target, &c->target_memory));
  if (m.gpu == "auto") {
    c->gpu_id = -1;
    return Status::ok();
  }
  const bool digits = !m.gpu.empty() && m.gpu.size() <= 4 && m.gpu.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(m.gpu) > 1023) return refused("--gpu-id", m.gpu);
  c->gpu_id = std::stoi(m.gpu);
  return Status::ok();
}

// --duration S, or auto with its floor, cap and precision (any of those alone means auto).
Status finishDuration(BenchConfig* c, const FlagStrings& f) {
  const bool tuned = f.min_duration || f.max_duration || f.precision;
  if (f.duration && *f.duration != "auto") {
    Result<long double> v = parseNumber("--duration", *f.duration);
    if (!v.isOk()) return v.status();
    c->duration = static_cast<double>(*v);
    c->adaptive = false;
    if (!tuned) return Status::ok();
    const char* flag = f.min_duration ? "--min-duration" : f.max_duration ? "--max-duration" : "--precision";
    return invalidArgument(std::string(flag) + " with --duration " + shownValue(*f.duration, 32) +
                           ": allowed only with --duration auto (a fixed window has no floor, cap or precision)");
  }
  if (!f.duration && !tuned) return Status::ok();
  c->adaptive = true;
  c->duration = f.max_duration.value_or(2.0);
  c->min_duration = f.min_duration.value_or(std::min(0.1, c->duration));
  c->precision = f.precision.value_or(0.02);
  if (c->min_duration > c->duration) {
    return invalidArgument("--min-duration " + defaultText(c->min_duration) + ": allowed at most --max-duration (" +
                           defaultText(c->duration) + ")");
  }
  return Status::ok();
}

// --mode quick: the bidir screen with auto windows (unless a window was asked for), and the
// exact re-measurement of what it flags, which it cannot do without.
Status finishMode(BenchConfig* c, const FlagStrings& f) {
  c->mode_given = f.mode_given;
  if (f.mode == "exact") return Status::ok();
  if (f.mode != "quick") return refused("--mode", f.mode);
  c->quick = true;
  if (f.schedule_given && c->schedule != "bidir") {
    return invalidArgument("--mode quick with --schedule " + shownValue(c->schedule, 32) +
                           ": allowed only --schedule bidir (the screen runs both directions of a pair at once)");
  }
  if (!c->pairs.empty()) return invalidArgument("--mode quick with --pairs: allowed only without --pairs (--pairs measures "
                                                "just those links, exactly)");
  if (!c->retest) {
    return invalidArgument("--mode quick with --no-retest or --max-retests 0: allowed only with retests (what the "
                           "screen flags is re-measured alone)");
  }
  c->schedule = "bidir";
  if (!f.duration && !f.min_duration && !f.max_duration && !f.precision) {
    c->adaptive = true;
    c->duration = 1.0;
    c->min_duration = 0.1;
    c->precision = 0.05;
  }
  return Status::ok();
}

// --time-budget: the windows are the budget's to choose (time_budget.h), at the world size.
Status finishTimeBudget(BenchConfig* c, const FlagStrings& f) {
  if (!f.time_budget) return Status::ok();
  TE_ASSIGN_OR_RETURN(c->time_budget, parseTimeBudget(*f.time_budget));
  const char* chosen = c->iterations ? "--iterations"
                       : f.duration && *f.duration != "auto" ? "--duration"
                       : f.min_duration ? "--min-duration"
                       : f.max_duration ? "--max-duration" : nullptr;
  if (!chosen) return Status::ok();
  return invalidArgument("--time-budget " + shownValue(*f.time_budget, 32) + " with " + chosen +
                         ": allowed only without it (the budget chooses the windows; --precision may be given)");
}

// Turns the strings the flags collected into typed fields; the first problem is returned.
Status finishParsing(BenchConfig* c, const FlagStrings& f) {
  if (!parseEnum(kWorkloads, f.operation, &c->operation)) return refused("--operation", f.operation);
  Result<std::vector<uint64_t>> sizes = parseBlockSizes(f.block_sizes);
  if (!sizes.isOk()) {
    return invalidArgument(flagValue("--block-size", f.block_sizes) + ": " + sizes.status().message() + "; allowed " +
                           allowedValues("--block-size"));
  }
  c->block_sizes = *sizes;
  c->block_size = *std::max_element(c->block_sizes.begin(), c->block_sizes.end());
  if (!parseRateUnit(f.report_unit, &c->report_unit)) return refused("--report-unit", f.report_unit);
  std::string log_level = f.log_level.empty() ? c->env.log_level : f.log_level;
  if (!log_level.empty() && !parseLogLevel(log_level, &c->log_level)) return refused("--log-level", log_level);
  const double bootstrap_timeout = f.bootstrap_timeout.value_or(c->timeout);
  c->bootstrap.timeout = std::chrono::milliseconds(static_cast<int64_t>(bootstrap_timeout * 1000));
  if (!f.pairs.empty()) TE_RETURN_IF_ERROR(parsePairs(f.pairs, &c->pairs));
  if (!f.expect.empty()) {
    Result<double> rate = parseRate(f.expect);
    if (!rate.isOk()) return refused("--expect", f.expect);
    c->expect_bytes_per_second = *rate;
  }
  c->fault_inject = c->env.fault_inject;
  for (const auto& t : engine::registeredTransports()) {
    if (t.descriptor().finish) t.descriptor().finish(c->transport_config, c->env);
  }
  c->transport_config.num_workers = c->threads;
  // --transport: auto, one name, a comma list, or all (every transport built and usable).
  c->transports.clear();
  if (c->transport == "all") {
    for (const auto& t : engine::builtinTransports()) c->transports.push_back(t.name);
  } else {
    std::stringstream ss(c->transport);
    for (std::string item; std::getline(ss, item, ',');) c->transports.push_back(item);
  }
  c->retest = !f.no_retest && c->max_retests != 0;
  TE_RETURN_IF_ERROR(finishDuration(c, f));
  TE_RETURN_IF_ERROR(finishMode(c, f));
  TE_RETURN_IF_ERROR(finishTimeBudget(c, f));
  return finishMemory(c, f);
}

void declareRunFlags(CLI::App& app, BenchConfig* c, FlagStrings* f) {
  app.add_option("--transport", c->transport,
                 "auto | all | a list of " + engine::builtinTransportNames() + " (auto: the best one here)")
      ->capture_default_str();
  app.add_option("--operation", f->operation, "read | write | mix")->capture_default_str();
  addNumberWithDefault(app, "--read-ratio", &c->read_ratio, "mix: fraction of READs");
  addNumberWithDefault(app, "--seed", &c->seed, "mix: random seed");
  app.add_option("--block-size", f->block_sizes,
                 "bytes per request: 64K, a list 4K,64K,1M or a range 4K:64M")
      ->capture_default_str();
  addNumberWithDefault(app, "--batch-size", &c->batch_size, "requests per batch");
  addNumberWithDefault(app, "--threads", &c->threads, "worker threads per rank");
  addNumberWithDefault(app, "--batches-in-flight", &c->batches_in_flight,
                       "batches each thread keeps submitted (1: submit, wait, submit, as Mooncake's bench)");
  addSizeOption(app, "--buffer-size", [c](uint64_t v) { c->buffer_size = v; },
                "registered buffer per rank, e.g. 64M, 1GiB (default 1GiB; half local, half exposed)");
  app.add_option_function<std::string>(
         "--duration", [f](const std::string& text) { f->duration = text; },
         "seconds measured per link, or auto: until the rate is known to --precision [" +
                     allowedText(*numberRange("--duration")) + "]")
      ->default_str(defaultText(c->duration))
      ->type_name("SECONDS|auto");
  addNumber(app, "--min-duration", &f->min_duration, "--duration auto: the shortest window (default 0.1)");
  addNumber(app, "--max-duration", &f->max_duration, "--duration auto: the longest window (default 2)");
  addNumber(app, "--precision", &f->precision,
            "--duration auto: a window ends when the 95% interval of its rate is within this fraction (default 0.02)");
  addNumber(app, "--iterations", &c->iterations, "batches per thread per link instead of --duration");
  addNumberWithDefault(app, "--warmup", &c->warmup, "seconds of warm-up per link");
  addNumberWithDefault(app, "--samples", &c->samples, "sub-windows per link (median and spread)");
  app.add_option("--schedule", c->schedule,
                 "link schedule: " + scheduleNames() +
                     "; a comma list measures each in turn, and an idle one (pairs, sequential) with loaded ones "
                     "gives each link's congestion impact (loaded / idle)")
      ->capture_default_str();
  app.add_option("--phase-sync", c->phase_sync,
                 "pairs | global: a phase starts once the ranks near its links are through the last one "
                 "(pairs, where the schedule allows) or after a hand-off of every rank at rank 0 (global)")
      ->capture_default_str();
  app.add_option("--on-failure", c->on_failure,
                 "stop | continue: a rank lost mid-run (dead, frozen) stops the run with the report of what was "
                 "measured (stop), or the schedule finishes without it (continue; --bootstrap etcd:// or redis://)")
      ->capture_default_str();
  app.add_option("--mode", f->mode,
                 "exact | quick: quick screens every pair in both directions at once (--schedule bidir, --duration auto "
                 "to 5%, N-1 phases) and re-measures what it flags alone")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--time-budget", [f](const std::string& text) { f->time_budget = text; },
         "fit the run into this time (90, 10m, 1.5h): te_bench picks auto windows and, if it must, --mode quick, "
         "and says so before it starts")
      ->type_name("TIME");
  addNumberWithDefault(app, "--root", &c->root, "one-to-all / all-to-one: the root rank");
  app.add_option("--pairs", f->pairs, "measure only these links, e.g. 0:3,2:5");
  addNumber(app, "--ranks-per-node", &c->ranks_per_node, "locality by rank / N instead of host names");
  app.add_option("--topology", c->topology_path, "Slurm topology.conf: compare links by switch path, name uplinks")
      ->type_name("FILE");
  addNumberWithDefault(app, "--threshold", &c->threshold, "flag links below this x the median of comparable links");
  app.add_flag("--no-retest", f->no_retest, "do not re-measure flagged links alone");
  addNumberWithDefault(app, "--max-retests", &c->max_retests,
                       "re-measure at most this many flagged links, worst first (each takes --warmup + --duration)");
  app.add_option("--expect", f->expect, "pass / fail: every link at least this rate (e.g. 23GB/s); exit 4 otherwise");
  addNumber(app, "--expect-line-rate", &c->expect_line_rate, "pass / fail: this fraction of the device line rate");
  app.add_flag("--integrity-check", c->integrity_check, "verify every byte moved (exit 3 on a mismatch)");
  addNumberWithDefault(app, "--timeout", &c->timeout, "seconds any wait may take (bootstrap, connect, a stalled link)");
}

void declareReportFlags(CLI::App& app, BenchConfig* c, FlagStrings* f) {
  for (const ReportWriter& w : reportWriters()) app.add_option(w.flag, c->*w.path, w.help)->type_name("FILE");
  app.add_option("--metrics-links", c->metrics_links,
                 "flagged | all: the links --metrics lists one by one (flagged: slow, failed or below --expect)")
      ->capture_default_str();
  app.add_option("--report-unit", f->report_unit, "GB | GiB | Gb (per second)")->capture_default_str();
  addNumberWithDefault(app, "--report-precision", &c->report_precision, "digits after the point");
  app.add_option("--progress", c->progress, "auto | on | off: progress on stderr, a rewritten line on a terminal; in a log, whole lines for blocks of a minute or more, one a minute (auto), or for every block, one every 10 s (on)")->capture_default_str();
  app.add_option("--log-level", f->log_level, "debug | info | warn | error | off (or TE_LOG_LEVEL)");
}

void declareMemoryAndBootstrapFlags(CLI::App& app, BenchConfig* c, FlagStrings* f) {
  app.add_flag("--huge-pages", c->huge_pages, "back buffers with 2 MiB huge pages");
  addNumberWithDefault(app, "--numa-node", &c->numa_node, "bind buffers and threads to this NUMA node (-1: local)");
  app.add_option("--memory", f->memory, "dram | vram: where both sides' buffers live (default dram)");
  app.add_option("--initiator-memory", f->initiator, "dram | vram: the initiator side's buffer (overrides --memory)");
  app.add_option("--target-memory", f->target, "dram | vram: the target side's buffer (overrides --memory)");
  app.add_option("--gpu-id", f->gpu, "vram: CUDA device ordinal, or auto (local rank -> GPU)")
      ->capture_default_str();
  app.add_option("--bootstrap", c->bootstrap.spec, "auto | mpi | etcd://host:port[,host:port] | redis://host:port (auto: mpi under mpirun / srun)")
      ->capture_default_str();
  addNumber(app, "--rank", &c->bootstrap.rank, "this process's rank (etcd / redis bootstrap; default: launcher env)");
  addNumber(app, "--size", &c->bootstrap.size, "number of ranks (etcd / redis bootstrap; default: launcher env)");
  app.add_option("--job-id", c->bootstrap.job_id, "job id shared by all ranks (etcd / redis; default: launcher env)");
  addNumber(app, "--bootstrap-timeout", &f->bootstrap_timeout,
            "seconds to wait for every rank to arrive (default: --timeout)");
}

// One flag of a transport, as its registry entry describes it.
void declareTransportFlag(CLI::App& app, const engine::TransportOption& o, engine::TransportConfig* t, FlagStrings* f) {
  using Kind = engine::TransportOption::Kind;
  const engine::TransportOption* opt = &o;  // the registry's entries live as long as the program
  switch (o.kind) {
    case Kind::kInteger: {
      CLI::Option* cli = addNumber(app, o.flag, [opt, t](long double v) { opt->set(*t, v); }, o.help);
      if (o.show_default) cli->default_str(defaultText(static_cast<int64_t>(std::get<long double>(o.get(*t)))));
      break;
    }
    case Kind::kSize:
      addSizeOption(app, o.flag, [opt, t](uint64_t v) { opt->set(*t, static_cast<long double>(v)); }, o.help);
      break;
    case Kind::kText:
      app.add_option_function<std::string>(o.flag, [opt, t](const std::string& v) { opt->set(*t, v); }, o.help);
      break;
    case Kind::kList:
      app.add_option_function<std::vector<std::string>>(
             o.flag, [opt, t](const std::vector<std::string>& v) { opt->set(*t, v); }, o.help)
          ->delimiter(',');
      break;
    case Kind::kChoice:
      f->transport_choices[o.flag] = std::get<std::string>(o.get(*t));
      app.add_option(o.flag, f->transport_choices[o.flag], o.help)->capture_default_str();
      break;
    case Kind::kReportOnly:
      break;
  }
}

// Every transport's own flags, from its registry entry (engine/<name>/<name>_options.cc).
void declareTransportFlags(CLI::App& app, BenchConfig* c, FlagStrings* f) {
  for (const auto& t : engine::registeredTransports()) {
    for (const engine::TransportOption& o : t.descriptor().options) declareTransportFlag(app, o, &c->transport_config, f);
  }
}

// Every flag of te_bench on `app`, writing into `c` and `f`.
void declareFlags(CLI::App& app, BenchConfig* c, FlagStrings* f) {
  app.set_version_flag("--version", std::string("te_bench ") + kVersion + " (" + kGitRevision + ")");
  app.get_formatter()->column_width(34);
  // A flag given twice takes the last value, so a flags file can be overridden on the command line.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  declareRunFlags(app, c, f);
  declareMeasureFlags(app, &f->measure);
  declareReportFlags(app, c, f);
  declareMemoryAndBootstrapFlags(app, c, f);
  declareTransportFlags(app, c, f);
}

// What `flag` allows, for any flag: a range, a list of values, or (a switch) no value.
std::string allowedFor(const std::string& flag) {
  if (const NumberRange* range = numberRange(flag)) return allowedText(*range);
  std::string values = allowedValues(flag);
  return values.empty() ? "no value (a switch), or =true / =false" : values;
}

// An empty value is never meant ("--json $OUT" with OUT unset): the flag and what it allows.
Status checkNoEmptyValues(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_expected_min() == 0 || opt->count() == 0) continue;
    for (const std::string& r : opt->results()) {
      if (r.empty()) return invalidArgument(flagValue(opt->get_name(), r) + ": allowed " + allowedFor(opt->get_name()));
    }
  }
  return Status::ok();
}


// CLI11's own errors (an unknown flag, a missing value), in te_bench's words where it can.
Status fromCliError(const CLI::ParseError& e) {
  std::string what = firstLine(e.what());
  // "Could not convert: --huge-pages = abc" (a switch given a value).
  const std::string convert = "Could not convert: ";
  if (what.rfind(convert, 0) == 0 && what.find(" = ") != std::string::npos) {
    const size_t eq = what.find(" = ");
    const std::string flag = what.substr(convert.size(), eq - convert.size());
    return invalidArgument(flagValue(flag, what.substr(eq + 3)) + ": allowed " + allowedFor(flag));
  }
  const std::string extras = "The following argument";
  if (what.rfind(extras, 0) == 0 && what.find(": ") != std::string::npos) {
    const std::string arg = what.substr(what.find(": ") + 2);
    return invalidArgument(shownValue(arg) + ": not allowed: not a flag of te_bench (allowed: the flags "
                           "te_bench --help lists)");
  }
  // "--threads: 1 required INT missing": the flag came last, without its value.
  const size_t colon = what.find(": ");
  if (what.rfind("--", 0) == 0 && colon != std::string::npos && what.find("missing") != std::string::npos) {
    const std::string flag = what.substr(0, colon);
    return invalidArgument(flag + ": no value given; allowed " + allowedFor(flag));
  }
  return invalidArgument(shownValue(what, 200));
}

}  // namespace

const char* workloadName(Workload w) { return enumName(kWorkloads, w); }

bool printsUsageErrors(const LauncherEnv& env) {
  if (env.rank) return *env.rank == 0;
  if (env.local_rank) return *env.local_rank == 0;
  return true;
}

ParseResult parseCommandLine(int argc, const char* const* argv, BenchConfig* c) {
  return parseCommandLine(argc, argv, launcherEnv(), c);
}

ParseResult parseCommandLine(int argc, const char* const* argv, const LauncherEnv& env, BenchConfig* c) {
  ParseResult result;
  c->env = env;
  for (int i = 0; i < argc; ++i) c->command_line.emplace_back(argv[i]);
  CLI::App app{"te_bench: all-pairs one-sided READ / WRITE throughput through a transfer engine.\n"
               "Launch with: mpirun -np N te_bench [options]   |   te_bench compare OLD.json NEW.json   |   "
               "te_bench report RUN.json [--csv F] [--html F] [--metrics F] [--terminal]",
               "te_bench"};
  FlagStrings flags;
  declareFlags(app, c, &flags);
  MooncakeFlags mooncake;  // Mooncake's transfer_engine_bench spellings (mooncake_flags.h)
  declareMooncakeFlags(app, &mooncake);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.outcome = ParseOutcome::kExitOk;
    result.output = app.help();
    return result;
  } catch (const CLI::CallForVersion&) {
    result.outcome = ParseOutcome::kExitOk;
    result.output = app.version() + "\n";
    return result;
  } catch (const CLI::ValidationError& e) {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument(firstLine(e.what()));
    return result;
  } catch (const CLI::ParseError& e) {
    result.outcome = ParseOutcome::kError;
    result.error = fromCliError(e);
    return result;
  }
  Status s = finishMooncakeFlags(app, mooncake, c);  // first: it may take back a --mode or --size
  flags.schedule_given = app.count("--schedule") > 0;
  flags.mode_given = app.count("--mode") > 0;
  if (s.isOk()) s = checkNoEmptyValues(app);
  if (s.isOk()) s = finishParsing(c, flags);
  if (s.isOk()) s = finishMeasureFlags(app, flags.measure, c);
  if (!s.isOk()) {
    result.outcome = ParseOutcome::kError;
    result.error = s;
  }
  return result;
}

std::vector<FlagInfo> listFlags() {
  CLI::App app;
  BenchConfig config;
  FlagStrings flags;
  declareFlags(app, &config, &flags);
  std::vector<FlagInfo> out;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_lnames().empty() || opt->get_name() == "--help" || opt->get_name() == "--version") continue;
    out.push_back({opt->get_name(), opt->get_expected_min() > 0, numberRange(opt->get_name())});
  }
  return out;
}

}  // namespace te::bench
