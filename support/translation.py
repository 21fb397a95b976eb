from modeltranslation.translator import TranslationOptions, register

from support.models import FaqEntry, Policy


@register(FaqEntry)
class FaqEntryTranslationOptions(TranslationOptions):
    fields = ("question", "answer")


@register(Policy)
class PolicyTranslationOptions(TranslationOptions):
    fields = ("title", "body")
