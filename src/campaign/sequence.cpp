#include "outreach/sequence.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <utility>

#include "util/ascii.hpp"
#include "util/hash.hpp"
#include "util/json_reader.hpp"
#include "campaign/sequence_json.hpp"
#include "util/sha256.hpp"

namespace outreach {

namespace json = boost::json;
using detail::ErrorList;
using detail::path_index;
using detail::path_key;

struct Sequence::Data {
  std::string name;
  std::vector<Step> steps;
  std::string fingerprint;
};

const std::string& Sequence::fingerprint() const noexcept { return data_->fingerprint; }
const std::string& Sequence::name() const noexcept { return data_->name; }
const std::vector<Step>& Sequence::steps() const noexcept { return data_->steps; }

std::size_t Step::choose_variant(std::uint64_t seed, std::string_view lead_key, int step_number) const noexcept {
  std::uint64_t total = 0;
  for (const Variant& variant : variants) total += variant.weight;
  if (total == 0) return 0;
  const std::uint64_t hash =
      detail::hash_combine(detail::hash_combine(seed, detail::hash_bytes(lead_key)), static_cast<std::uint64_t>(step_number));
  std::uint64_t ticket = detail::pick_below(hash, total);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    if (ticket < variants[i].weight) return i;
    ticket -= variants[i].weight;
  }
  return variants.size() - 1;
}

std::size_t Step::choose_variant(std::uint64_t seed, std::string_view lead_key, int step_number,
                                 const std::vector<bool>& open) const noexcept {
  const std::size_t seeded = choose_variant(seed, lead_key, step_number);
  if (open.size() != variants.size() || open[seeded]) return seeded;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < variants.size(); ++i) total += open[i] ? variants[i].weight : 0;
  if (total == 0) return seeded;
  // A draw of its own (salted), not the seeded one's ticket again.
  const std::uint64_t hash = detail::hash_combine(
      detail::hash_combine(detail::hash_combine(seed, detail::hash_bytes(lead_key)), static_cast<std::uint64_t>(step_number)),
      0x6f70656e5f76u);
  std::uint64_t ticket = detail::pick_below(hash, total);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    if (!open[i]) continue;
    if (ticket < variants[i].weight) return i;
    ticket -= variants[i].weight;
  }
  return seeded;
}

namespace {

std::string_view threading_name(Threading threading) { return threading == Threading::reply ? "reply" : "new"; }

// `A`, `B`, ... `Z`, then `V27`, `V28`, ...: default names that stay unique.
std::string default_variant_name(std::size_t index) {
  if (index < 26) return std::string(1, static_cast<char>('A' + index));
  return "V" + std::to_string(index + 1);
}

std::string describe_template_place(std::size_t step, std::string_view variant, std::string_view field) {
  return "step " + std::to_string(step + 1) + ", variant \"" + std::string(variant) + "\", " + std::string(field);
}

// Compiles one template of a variant; a syntax error keeps its character offset and gains the
// step, variant and field in its message and path.
std::optional<Template> compile_part(const std::string& source, TemplateKind kind, const std::string& path,
                                     std::size_t step, std::string_view variant, std::string_view field,
                                     ErrorList& errors) {
  auto compiled = Template::compile(source, kind);
  if (compiled) return std::move(*compiled);
  Location where = compiled.error().where();
  where.json_path = path;
  errors.add(Error(compiled.error().code(),
                   describe_template_place(step, variant, field) + ": " + compiled.error().message(), where));
  return std::nullopt;
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

void check_delay(const Delay& delay, const std::string& path, ErrorList& errors) {
  if (delay.days < 0 || delay.hours < 0 || delay.minutes < 0 || delay.business_days < 0) {
    errors.add(Error(Errc::invalid_value, "a delay cannot be negative", Location::at(path)));
    return;
  }
  if (delay.in_business_days() && delay.duration().count() != 0) {
    errors.add(Error(Errc::invalid_value, "business_days cannot be combined with days, hours or minutes",
                     Location::at(path)));
  }
  if (delay.business_days > 365) {
    errors.add(Error(Errc::limit_exceeded, "at most 365 business days", Location::at(path_key(path, "business_days"))));
  }
  if (delay.duration() > std::chrono::days(Sequence::max_delay_days)) {
    errors.add(Error(Errc::limit_exceeded, "a delay may be at most " + std::to_string(Sequence::max_delay_days) + " days",
                     Location::at(path)));
  }
}

std::optional<Variant> build_variant(const VariantSpec& spec, std::size_t step_index, std::size_t variant_index,
                                     bool needs_subject, const std::string& path, ErrorList& errors) {
  Variant variant;
  variant.name = spec.name.empty() ? default_variant_name(variant_index) : spec.name;
  const std::size_t before = errors.size();
  if (spec.name.size() > 64 || has_control_character(spec.name)) {
    errors.add(Error(Errc::invalid_value, "a variant name has at most 64 characters and no control characters",
                     Location::at(path_key(path, "name"))));
  }
  if (spec.weight < 1 || spec.weight > Sequence::max_weight) {
    errors.add(Error(Errc::invalid_value, "weight must be from 1 to " + std::to_string(Sequence::max_weight),
                     Location::at(path_key(path, "weight"))));
  } else {
    variant.weight = static_cast<std::uint32_t>(spec.weight);
  }
  if (spec.subject) {
    const std::string subject_path = path_key(path, "subject");
    if (spec.subject->find_first_of("\r\n") != std::string::npos) {
      errors.add(Error(Errc::invalid_value, "a subject cannot contain a line break", Location::at(subject_path)));
    } else if (detail::trim(*spec.subject).empty()) {
      errors.add(Error(Errc::invalid_value, "a subject cannot be empty", Location::at(subject_path)));
    } else {
      variant.subject = compile_part(*spec.subject, TemplateKind::text, subject_path, step_index, variant.name,
                                     "subject", errors);
    }
  } else if (needs_subject) {
    errors.add(Error(Errc::invalid_value,
                     step_index == 0 ? "the first step starts a thread and needs a subject in every variant"
                                     : "a step with \"thread\": \"new\" needs a subject in every variant",
                     Location::at(path_key(path, "subject"))));
  }
  if (detail::trim(spec.text).empty()) {
    errors.add(Error(Errc::invalid_value, "text is required and cannot be empty", Location::at(path_key(path, "text"))));
  } else if (auto text = compile_part(spec.text, TemplateKind::text, path_key(path, "text"), step_index,
                                      variant.name, "text", errors)) {
    variant.text = std::move(*text);
  }
  if (spec.html) {
    variant.html = compile_part(*spec.html, TemplateKind::html, path_key(path, "html"), step_index, variant.name,
                                "html", errors);
  }
  if (errors.size() != before) return std::nullopt;
  return variant;
}

json::object delay_to_json(const Delay& delay) {
  json::object out;
  if (delay.in_business_days()) {
    out["business_days"] = delay.business_days;
    return out;
  }
  if (delay.days != 0) out["days"] = delay.days;
  if (delay.hours != 0) out["hours"] = delay.hours;
  if (delay.minutes != 0) out["minutes"] = delay.minutes;
  return out;
}

// The explicit JSON form: the file format with every default written out.
json::object to_json_object(const std::string& name, const std::vector<Step>& steps) {
  json::array steps_json;
  for (const Step& step : steps) {
    json::array variants;
    for (const Variant& variant : step.variants) {
      json::object v;
      v["name"] = variant.name;
      v["weight"] = variant.weight;
      if (variant.subject) v["subject"] = variant.subject->source();
      v["text"] = variant.text.source();
      if (variant.html) v["html"] = variant.html->source();
      variants.push_back(std::move(v));
    }
    json::object s;
    s["delay"] = delay_to_json(step.delay);
    s["thread"] = threading_name(step.threading);
    s["variants"] = std::move(variants);
    steps_json.push_back(std::move(s));
  }
  json::object out;
  out["name"] = name;
  out["steps"] = std::move(steps_json);
  return out;
}

// The canonical form hashed for the fingerprint: versioned, compact, delays in minutes, so
// equal content gives equal bytes however it was written.
std::string canonical_form(const std::string& name, const std::vector<Step>& steps) {
  json::array steps_json;
  for (const Step& step : steps) {
    json::array variants;
    for (const Variant& variant : step.variants) {
      json::array v;
      v.emplace_back(variant.name);
      v.emplace_back(variant.weight);
      v.emplace_back(variant.subject ? json::value(variant.subject->source()) : json::value(nullptr));
      v.emplace_back(variant.text.source());
      v.emplace_back(variant.html ? json::value(variant.html->source()) : json::value(nullptr));
      variants.push_back(std::move(v));
    }
    json::array s;
    s.emplace_back(step.delay.duration().count());
    s.emplace_back(step.delay.business_days);
    s.emplace_back(threading_name(step.threading));
    s.emplace_back(std::move(variants));
    steps_json.push_back(std::move(s));
  }
  json::array canonical;
  canonical.emplace_back("outreach-sequence-1");
  canonical.emplace_back(name);
  canonical.emplace_back(std::move(steps_json));
  return json::serialize(canonical);
}

}  // namespace

namespace {

// Checks and compiles specs into steps. `errors` may already hold errors found while reading
// JSON; ErrorList keeps one error per place, so a missing value is not also reported as empty.
std::vector<Step> build_steps(const std::string& name, const std::vector<StepSpec>& specs, const std::string& base_path,
                              ErrorList& errors) {
  std::vector<Step> steps;
  const std::string steps_path = path_key(base_path, "steps");
  if (specs.empty()) {
    errors.add(Error(Errc::invalid_value, "a sequence needs at least one step", Location::at(steps_path)));
  } else if (specs.size() > Sequence::max_steps) {
    errors.add(Error(Errc::limit_exceeded, "at most " + std::to_string(Sequence::max_steps) + " steps",
                     Location::at(steps_path)));
  }
  if (name.size() > 200 || has_control_character(name)) {
    errors.add(Error(Errc::invalid_value, "a name has at most 200 characters and no control characters",
                     Location::at(path_key(base_path, "name"))));
  }
  for (std::size_t i = 0; i < specs.size() && i < Sequence::max_steps; ++i) {
    const StepSpec& spec = specs[i];
    const std::string path = path_index(steps_path, i);
    Step step;
    step.delay = spec.delay;
    check_delay(spec.delay, path_key(path, "delay"), errors);
    step.threading = spec.threading.value_or(i == 0 ? Threading::new_thread : Threading::reply);
    if (i == 0 && step.threading == Threading::reply) {
      errors.add(Error(Errc::invalid_value, "the first step starts a thread; it cannot be \"reply\"",
                       Location::at(path_key(path, "thread"))));
    }
    const std::string variants_path = path_key(path, "variants");
    if (spec.variants.empty()) {
      errors.add(Error(Errc::invalid_value, "a step needs at least one variant", Location::at(variants_path)));
    } else if (spec.variants.size() > Sequence::max_variants) {
      errors.add(Error(Errc::limit_exceeded, "at most " + std::to_string(Sequence::max_variants) + " variants",
                       Location::at(variants_path)));
    }
    const bool needs_subject = i == 0 || step.threading == Threading::new_thread;
    for (std::size_t j = 0; j < spec.variants.size() && j < Sequence::max_variants; ++j) {
      const std::string variant_path = path_index(variants_path, j);
      auto variant = build_variant(spec.variants[j], i, j, needs_subject, variant_path, errors);
      if (!variant) continue;
      const bool duplicate = std::any_of(step.variants.begin(), step.variants.end(),
                                         [&](const Variant& other) { return other.name == variant->name; });
      if (duplicate) {
        errors.add(Error(Errc::invalid_value, "another variant of this step is named \"" + variant->name + "\"",
                         Location::at(path_key(variant_path, "name"))));
        continue;
      }
      step.variants.push_back(std::move(*variant));
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace

namespace detail {

struct SequenceAccess {
  static expected<Sequence> make(std::string name, const std::vector<StepSpec>& specs, const std::string& base_path,
                                 ErrorList& errors) {
    std::vector<Step> steps = build_steps(name, specs, base_path, errors);
    if (!errors.empty()) return fail(errors.combined());
    auto data = std::make_shared<Sequence::Data>();
    data->fingerprint = sha256_hex(canonical_form(name, steps));
    data->name = std::move(name);
    data->steps = std::move(steps);
    return Sequence(std::move(data));
  }
};

}  // namespace detail

SequenceBuilder& SequenceBuilder::name(std::string name) {
  name_ = std::move(name);
  return *this;
}

SequenceBuilder& SequenceBuilder::add_step(StepSpec step) {
  steps_.push_back(std::move(step));
  return *this;
}

expected<Sequence> SequenceBuilder::build() const {
  ErrorList errors;
  return detail::SequenceAccess::make(name_, steps_, "", errors);
}

namespace {

Delay read_delay(const json::value& value, const std::string& path, ErrorList& errors) {
  Delay delay;
  detail::ObjectReader reader(value, path, errors);
  constexpr std::int64_t max_minutes = Sequence::max_delay_days * 24 * 60;
  delay.days = reader.integer("days", 0, Sequence::max_delay_days).value_or(0);
  delay.hours = reader.integer("hours", 0, max_minutes / 60).value_or(0);
  delay.minutes = reader.integer("minutes", 0, max_minutes).value_or(0);
  delay.business_days = reader.integer("business_days", 1, 365).value_or(0);
  reader.reject_unknown_keys();
  return delay;
}

VariantSpec read_variant(const json::value& value, const std::string& path, ErrorList& errors) {
  VariantSpec spec;
  detail::ObjectReader reader(value, path, errors);
  spec.name = reader.string("name").value_or("");
  if (reader.has("name") && spec.name.empty()) {
    errors.add(Error(Errc::invalid_value, "a variant name cannot be empty (leave it out for the default)",
                     Location::at(reader.path("name"))));
  }
  spec.weight = reader.integer("weight", 1, Sequence::max_weight).value_or(1);
  spec.subject = reader.string("subject");
  spec.text = reader.string("text", /*required=*/reader.is_object()).value_or("");
  spec.html = reader.string("html");
  reader.reject_unknown_keys();
  return spec;
}

StepSpec read_step(const json::value& value, const std::string& path, ErrorList& errors) {
  StepSpec spec;
  detail::ObjectReader reader(value, path, errors);
  if (const json::value* delay = reader.find("delay")) spec.delay = read_delay(*delay, reader.path("delay"), errors);
  if (auto thread = reader.string("thread")) {
    if (*thread == "reply") {
      spec.threading = Threading::reply;
    } else if (*thread == "new") {
      spec.threading = Threading::new_thread;
    } else {
      errors.add(Error(Errc::invalid_value, "thread must be \"reply\" or \"new\", found \"" + *thread + "\"",
                       Location::at(reader.path("thread"))));
    }
  }
  const std::string variants_path = reader.path("variants");
  if (const json::value* variants = reader.find("variants")) {
    if (const json::array* array = variants->if_array()) {
      for (std::size_t i = 0; i < array->size() && i < Sequence::max_variants; ++i) {
        spec.variants.push_back(read_variant((*array)[i], path_index(variants_path, i), errors));
      }
      if (array->size() > Sequence::max_variants) {
        errors.add(Error(Errc::limit_exceeded, "at most " + std::to_string(Sequence::max_variants) + " variants",
                         Location::at(variants_path)));
      }
    } else {
      errors.add(Error(Errc::invalid_value, "expected an array of variants, found " +
                                                std::string(detail::describe_type(*variants)),
                       Location::at(variants_path)));
    }
  } else if (reader.is_object()) {
    errors.add(Error(Errc::invalid_value, "required", Location::at(variants_path)));
  }
  reader.reject_unknown_keys();
  return spec;
}

}  // namespace

namespace detail {

expected<Sequence> sequence_from_json(const json::value& value, const std::string& path) {
  ErrorList errors;
  ObjectReader reader(value, path, errors);
  std::string name = reader.string("name").value_or("");
  std::vector<StepSpec> steps;
  const std::string steps_path = reader.path("steps");
  if (const json::value* steps_value = reader.find("steps")) {
    if (const json::array* array = steps_value->if_array()) {
      for (std::size_t i = 0; i < array->size() && i < Sequence::max_steps; ++i) {
        steps.push_back(read_step((*array)[i], path_index(steps_path, i), errors));
      }
      if (array->size() > Sequence::max_steps) {
        errors.add(Error(Errc::limit_exceeded, "at most " + std::to_string(Sequence::max_steps) + " steps",
                         Location::at(steps_path)));
      }
    } else {
      errors.add(Error(Errc::invalid_value,
                       "expected an array of steps, found " + std::string(describe_type(*steps_value)),
                       Location::at(steps_path)));
    }
  } else if (reader.is_object()) {
    errors.add(Error(Errc::invalid_value, "required", Location::at(steps_path)));
  }
  reader.reject_unknown_keys();
  if (!reader.is_object()) return fail(errors.combined());
  return SequenceAccess::make(std::move(name), steps, path, errors);
}

json::object sequence_to_json(const Sequence& sequence) { return to_json_object(sequence.name(), sequence.steps()); }

}  // namespace detail

expected<Sequence> Sequence::from_json(std::string_view json_text) {
  auto value = detail::parse_json(json_text);
  if (!value) return fail(value.error());
  return detail::sequence_from_json(*value, "");
}

expected<Sequence> Sequence::load(const std::filesystem::path& path) {
  auto value = detail::load_json_file(path);
  if (!value) return fail(value.error());
  auto sequence = detail::sequence_from_json(*value, "");
  if (!sequence) return fail(sequence.error().in_file(path.string()));
  return sequence;
}

std::string Sequence::to_json() const { return detail::to_pretty_json(detail::sequence_to_json(*this)); }

}  // namespace outreach
