from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from digest.papers.models import Paper, Topic
from subscriptions.models import Subscriber
from subscriptions.selectors import authors_resolve, papers_resolve
from subscriptions.services import Preferences
from subscriptions.validation import (
    InputError,
    email_normalise,
    names_normalise,
    terms_normalise,
    text_problem,
    timezone_names,
)

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
# Long enough for any real list, short enough that Django refuses a flood before we parse it.
TEXTAREA_MAX = 20_000


def consent_wording() -> str:
    """The exact sentence people agree to; stored verbatim with their consent."""
    return (
        f"I want to receive {settings.SITE_NAME} emails with new research papers matching my interests, "
        "at the address above and on the schedule I chose. I can change or stop them at any time with "
        "the link in every email."
    )


class EmailField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        # No max_length here: email_normalise words the "too long" error itself.
        kwargs.setdefault(
            "widget",
            forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "maxlength": "254"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return email_normalise(value)
        except InputError as error:
            raise forms.ValidationError(str(error)) from None


class TermsField(forms.CharField):
    """Keywords or "not interested in" terms: one per line or comma-separated, "quoted phrases"."""

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        self.what = what
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", TEXTAREA_MAX)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        value = super().clean(value)
        try:
            return terms_normalise(value, label=self.what)
        except InputError as error:
            raise forms.ValidationError(str(error)) from None


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.name


class PaperChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Paper) -> str:
        return obj.title


class ScheduleFieldsMixin(forms.Form):
    topics = TopicChoiceField(
        queryset=Topic.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    keywords = TermsField(
        what="keywords",
        label="Your own keywords",
        help_text='One per line or separated by commas; put exact phrases in quotes, like "graph neural network".',
    )
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices, initial=Subscriber.Frequency.DAILY)
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, initial=0, label="Day (weekly digests)")
    send_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8, label="Delivery time")
    timezone = forms.ChoiceField(
        choices=[], initial="UTC", label="Time zone", widget=forms.Select(attrs={"data-browser-timezone": ""})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        timezone_field = self.fields["timezone"]
        assert isinstance(timezone_field, forms.ChoiceField)
        timezone_field.choices = [(name, name) for name in timezone_names()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if any(self.has_error(name) for name in self.interest_fields):
            return cleaned  # the field's own error says what is wrong; no second message
        if (
            not cleaned.get("topics")
            and not cleaned.get("keywords")
            and not self.has_interest_elsewhere(cleaned)
        ):
            raise forms.ValidationError(
                "Pick at least one topic or enter a keyword, so we know what to send you."
            )
        return cleaned

    interest_fields: tuple[str, ...] = ("topics", "keywords")

    def has_interest_elsewhere(self, cleaned: dict[str, Any]) -> bool:
        return False


class SubscribeForm(ScheduleFieldsMixin):
    email = EmailField(label="Email address")
    consent = forms.BooleanField(required=True, label="")
    # Humans never see it (hidden by CSS, skipped by tab order); form-filling bots fill it in.
    website = forms.CharField(
        required=False,
        max_length=200,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    # "Subscribe to papers like this" from a paper page: the paper becomes their first example.
    paper = forms.ModelChoiceField(queryset=Paper.objects.visible(), required=False, widget=forms.HiddenInput)

    field_order = ["email", "topics", "keywords", "frequency", "weekday", "send_hour", "timezone", "consent"]
    interest_fields = ("topics", "keywords", "paper")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_wording()
        self.fields["consent"].error_messages["required"] = (
            "Please tick the box to agree to receive the emails."
        )

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def has_interest_elsewhere(self, cleaned: dict[str, Any]) -> bool:
        return cleaned.get("paper") is not None

    @property
    def liked_paper(self) -> Paper | None:
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get("paper")
        return self.initial.get("paper")

    def preferences(self) -> Preferences:
        data = self.cleaned_data
        return Preferences(
            frequency=data["frequency"],
            weekday=data["weekday"],
            send_hour=data["send_hour"],
            timezone=data["timezone"],
            topics=list(data["topics"]),
            keywords=data["keywords"],
            example_papers=[data["paper"]] if data.get("paper") else None,
        )


class ManageForm(ScheduleFieldsMixin):
    papers_per_digest = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in (3, 5, 10, 15, 20, 30, 50)],
        coerce=int,
        initial=10,
        label="Papers per digest",
    )
    email_format = forms.ChoiceField(
        choices=Subscriber.EmailFormat.choices, widget=forms.RadioSelect, label="Email format"
    )
    excluded_terms = TermsField(
        what="terms",
        label="Not interested in",
        help_text="Papers mentioning these are left out. Same format as keywords.",
    )
    followed_authors = forms.CharField(
        required=False,
        max_length=TEXTAREA_MAX,
        label="Authors you follow",
        help_text="One name per line, as written on papers (“Yann LeCun” or “Y. LeCun”).",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    keep_papers = PaperChoiceField(
        queryset=Paper.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Example papers",
    )
    add_papers = forms.CharField(
        required=False,
        max_length=TEXTAREA_MAX,
        label="Add example papers",
        help_text="arXiv ids or links (2401.01234), or links to paper pages here; one per line.",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )

    field_order = [
        "topics",
        "keywords",
        "excluded_terms",
        "followed_authors",
        "keep_papers",
        "add_papers",
        "frequency",
        "weekday",
        "send_hour",
        "timezone",
        "papers_per_digest",
        "email_format",
    ]

    def __init__(self, *args: Any, subscriber: Subscriber, **kwargs: Any) -> None:
        self.subscriber = subscriber
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "topics": list(subscriber.topics.all()),
                "keywords": "\n".join(subscriber.keyword_list),
                "excluded_terms": "\n".join(subscriber.excluded_list),
                "followed_authors": "\n".join(a.name for a in subscriber.followed_authors.order_by("name")),
                "keep_papers": list(subscriber.example_papers.all()),
                "frequency": subscriber.frequency,
                "weekday": subscriber.weekday,
                "send_hour": subscriber.send_hour,
                "timezone": subscriber.timezone,
                "papers_per_digest": subscriber.papers_per_digest,
                "email_format": subscriber.email_format,
            }
        super().__init__(*args, **kwargs)
        keep = self.fields["keep_papers"]
        assert isinstance(keep, forms.ModelMultipleChoiceField)
        keep.queryset = subscriber.example_papers.order_by("id")
        per_digest = self.fields["papers_per_digest"]
        assert isinstance(per_digest, forms.TypedChoiceField)
        choices = dict(per_digest.choices)  # type: ignore[arg-type]
        if subscriber.papers_per_digest not in choices:
            # Keep a value set elsewhere (say, by an admin) selectable instead of silently changing it.
            choices[subscriber.papers_per_digest] = str(subscriber.papers_per_digest)
            per_digest.choices = sorted(choices.items())

    def clean_followed_authors(self) -> list[Any]:
        try:
            names = names_normalise(self.cleaned_data["followed_authors"])
        except InputError as error:
            raise forms.ValidationError(str(error)) from None
        authors, unknown = authors_resolve(names=names)
        if unknown:
            shown = ", ".join(f"“{name[:60]}”" for name in unknown[:5])
            raise forms.ValidationError(
                f"We have no papers by {shown} yet{' and others' if len(unknown) > 5 else ''}. "
                "Check the spelling, or remove the name and follow them later."
            )
        return authors

    def clean_add_papers(self) -> list[Any]:
        text = self.cleaned_data["add_papers"]
        problem = text_problem(text)
        if problem:
            raise forms.ValidationError(f"The paper list {problem}.")
        refs = [line.strip() for line in text.splitlines() if line.strip()]
        if len(refs) > 50:
            raise forms.ValidationError("Add at most 50 example papers at a time.")
        papers, unknown = papers_resolve(refs=refs)
        if unknown:
            shown = ", ".join(f"“{ref[:60]}”" for ref in unknown[:5])
            raise forms.ValidationError(f"We could not find {shown} among our papers.")
        return papers

    interest_fields = ("topics", "keywords", "followed_authors", "keep_papers", "add_papers")

    def has_interest_elsewhere(self, cleaned: dict[str, Any]) -> bool:
        return bool(
            cleaned.get("followed_authors") or cleaned.get("keep_papers") or cleaned.get("add_papers")
        )

    def preferences(self) -> Preferences:
        data = self.cleaned_data
        papers = {paper.pk: paper for paper in [*data["keep_papers"], *data["add_papers"]]}
        return Preferences(
            frequency=data["frequency"],
            weekday=data["weekday"],
            send_hour=data["send_hour"],
            timezone=data["timezone"],
            papers_per_digest=data["papers_per_digest"],
            email_format=data["email_format"],
            topics=list(data["topics"]),
            keywords=data["keywords"],
            excluded_terms=data["excluded_terms"],
            followed_authors=data["followed_authors"],
            example_papers=list(papers.values())[:200],
        )


class EmailChangeForm(forms.Form):
    new_email = EmailField(label="New email address")


class EmailRequestForm(forms.Form):
    email = EmailField(label="Email address")
    website = forms.CharField(
        required=False,
        max_length=200,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
