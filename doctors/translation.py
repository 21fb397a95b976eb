from modeltranslation.translator import TranslationOptions, register

from doctors.models import Specialty


@register(Specialty)
class SpecialtyTranslationOptions(TranslationOptions):
    fields = ("name", "description")
