import ImageExperiment

ImageCommand<CircFirePaper>.main()
