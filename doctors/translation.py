from modeltranslation.translator import TranslationOptions, register

from doctors.models import Specialty, VisitType


@register(Specialty)
class SpecialtyTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(VisitType)
class VisitTypeTranslationOptions(TranslationOptions):
    fields = ("name", "description")
